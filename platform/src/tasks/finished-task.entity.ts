import { BigIntType, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * What a queue's history table keeps of every finished task (see `historyColumns`), for the
 * entity of that table to extend with the columns it copies from the live one.
 */
export abstract class FinishedTask {
  /** The id the task had in the live table. */
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  id!: string;

  @Property({ type: 'integer' })
  attempts!: number;

  @Property({ type: 'string', length: 64, fieldName: 'finished_by' })
  finishedBy!: string;

  @Property({ type: new BigIntType('number'), fieldName: 'finished_at_ms' })
  finishedAtMs!: number;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt!: Date;
}
