import { BigIntType, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { TaskTableDefinition } from '@learnhub/platform/tasks/task-table';

/** Transcoding task states, with the original system's numbers (CANCELLED is new: a person stopped it). */
export enum ProcessState {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  PROCESSING = 'PROCESSING',
  CANCELLED = 'CANCELLED',
}

export const processStateCodes: Record<ProcessState, number> = { PENDING: 1, SUCCEEDED: 2, FAILED: 3, PROCESSING: 4, CANCELLED: 5 };

/** Where the jobs engine finds transcoding tasks; succeeded ones move to the history table. */
export const transcodeTasks: TaskTableDefinition = {
  queue: 'transcode',
  table: 'media_process',
  historyTable: 'media_process_history',
  payloadColumns: ['file_md5', 'bucket', 'object_key'],
  label: 'Transcoding task',
};

/**
 * A video that browsers cannot play as stored, waiting to be transcoded to H.264/AAC MP4. While
 * a worker holds it, `leaseToken` proves which worker may write its outcome.
 */
@Entity({ tableName: 'media_process' })
export class MediaProcess {
  [OptionalProps]?: 'state' | 'attempts' | 'maxAttempts' | 'runAtMs' | 'createdAt' | 'updatedAt';

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

  @Property({ type: 'integer', fieldName: 'max_attempts' })
  maxAttempts: number = 3;

  /** Claimable from this epoch millisecond; null when no automatic attempt follows. */
  @Property({ type: new BigIntType('number'), fieldName: 'run_at_ms', nullable: true })
  runAtMs?: number | null = 0;

  @Property({ type: 'string', length: 64, fieldName: 'lease_owner', nullable: true })
  leaseOwner?: string | null;

  @Property({ type: 'string', length: 64, fieldName: 'lease_token', nullable: true })
  leaseToken?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'lease_until_ms', nullable: true })
  leaseUntilMs?: number | null;

  /** Percent done of the running attempt. */
  @Property({ type: 'integer', nullable: true })
  progress?: number | null;

  @Property({ type: 'string', length: 2000, fieldName: 'last_error', nullable: true })
  lastError?: string | null;

  /** What the merge-time probe found, so the worker picks remux or re-encode without probing again. */
  @Property({ type: 'string', length: 32, fieldName: 'video_codec', nullable: true })
  videoCodec?: string | null;

  @Property({ type: 'string', length: 32, fieldName: 'audio_codec', nullable: true })
  audioCodec?: string | null;

  @Property({ type: 'double', fieldName: 'duration_seconds', nullable: true })
  durationSeconds?: number | null;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', fieldName: 'updated_at' })
  updatedAt: Date = new Date();
}
