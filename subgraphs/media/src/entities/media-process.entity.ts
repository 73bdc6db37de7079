import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** Transcoding task states, with the original system's numbers. */
export enum ProcessState {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  PROCESSING = 'PROCESSING',
}

export const processStateCodes: Record<ProcessState, number> = { PENDING: 1, SUCCEEDED: 2, FAILED: 3, PROCESSING: 4 };

/** A video that browsers cannot play as stored, waiting to be transcoded to H.264/AAC MP4. */
@Entity({ tableName: 'media_process' })
export class MediaProcess {
  [OptionalProps]?: 'state' | 'attempts' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 32, fieldName: 'file_md5', unique: 'media_process_md5_uq' })
  fileMd5!: string;

  @Property({ type: 'string', length: 63 })
  bucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'object_key' })
  objectKey!: string;

  @Enum({ items: () => ProcessState })
  state: ProcessState = ProcessState.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'string', length: 2000, fieldName: 'last_error', nullable: true })
  lastError?: string;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', fieldName: 'updated_at' })
  updatedAt: Date = new Date();
}
