import { BigIntType, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { TaskState } from './task-state';

/**
 * The columns the jobs engine claims, leases and retries a live task by (see `leaseColumns`), for
 * the entity of a queue's table to extend with the columns that describe its work. `Optional`
 * names the entity's own properties a new row may leave out.
 */
export abstract class LeasedTask<Optional extends string = never> {
  [OptionalProps]?: 'state' | 'attempts' | 'maxAttempts' | 'runAtMs' | 'createdAt' | Optional;

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Enum({ items: () => TaskState })
  state: TaskState = TaskState.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  /**
   * The queue's own: its entity declares the `max_attempts` column with the table's default as
   * the initializer, which MikroORM reads the column's default from.
   */
  abstract maxAttempts: number;

  /** Claimable from this epoch millisecond; null when no automatic attempt follows. */
  @Property({ type: new BigIntType('number'), fieldName: 'run_at_ms', nullable: true })
  runAtMs?: number | null = 0;

  @Property({ type: 'string', length: 64, fieldName: 'lease_owner', nullable: true })
  leaseOwner?: string | null;

  /** Proves which worker may write the task's outcome while it holds the lease. */
  @Property({ type: 'string', length: 64, fieldName: 'lease_token', nullable: true })
  leaseToken?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'lease_until_ms', nullable: true })
  leaseUntilMs?: number | null;

  /** Percent done of the running attempt. */
  @Property({ type: 'integer', nullable: true })
  progress?: number | null;

  @Property({ type: 'string', length: 2000, fieldName: 'last_error', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();
}
