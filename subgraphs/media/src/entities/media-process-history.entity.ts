import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A transcoding task that succeeded, moved out of `media_process` in the transaction that recorded its output. */
@Entity({ tableName: 'media_process_history' })
export class MediaProcessHistory {
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  id!: string;

  @Property({ type: 'string', length: 32, fieldName: 'file_md5' })
  fileMd5!: string;

  @Property({ type: 'string', length: 63 })
  bucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'object_key' })
  objectKey!: string;

  @Property({ type: 'integer' })
  attempts!: number;

  @Property({ type: 'string', length: 64, fieldName: 'finished_by' })
  finishedBy!: string;

  @Property({ type: new BigIntType('number'), fieldName: 'finished_at_ms' })
  finishedAtMs!: number;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt!: Date;
}
