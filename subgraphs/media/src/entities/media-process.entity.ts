import { Entity, Property } from '@mikro-orm/core';
import { LeasedTask } from '@learnhub/platform/tasks/leased-task.entity';
import type { TaskTableDefinition } from '@learnhub/platform/tasks/task-table';
import type { TaskState } from '@learnhub/platform/tasks/task-state';

/** A transcoding task's state as the original system numbered it (CANCELLED is new: a person stopped it). */
export const processStateCodes: Record<TaskState, number> = { PENDING: 1, SUCCEEDED: 2, FAILED: 3, PROCESSING: 4, CANCELLED: 5 };

/** Where the jobs engine finds transcoding tasks; succeeded ones move to the history table. */
export const transcodeTasks: TaskTableDefinition = {
  queue: 'transcode',
  table: 'media_process',
  historyTable: 'media_process_history',
  payloadColumns: ['file_md5', 'bucket', 'object_key'],
  label: 'Transcoding task',
};

/**
 * A video that browsers cannot play as stored, waiting to be transcoded to H.264/AAC MP4.
 */
@Entity({ tableName: 'media_process' })
export class MediaProcess extends LeasedTask<'updatedAt'> {
  @Property({ type: 'integer', fieldName: 'max_attempts' })
  maxAttempts: number = 3;

  @Property({ type: 'string', length: 32, fieldName: 'file_md5', unique: 'media_process_md5_uq' })
  fileMd5!: string;

  @Property({ type: 'string', length: 63 })
  bucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'object_key' })
  objectKey!: string;

  /** What the merge-time probe found, so the worker picks remux or re-encode without probing again. */
  @Property({ type: 'string', length: 32, fieldName: 'video_codec', nullable: true })
  videoCodec?: string | null;

  @Property({ type: 'string', length: 32, fieldName: 'audio_codec', nullable: true })
  audioCodec?: string | null;

  @Property({ type: 'double', fieldName: 'duration_seconds', nullable: true })
  durationSeconds?: number | null;

  @Property({ type: 'datetime', fieldName: 'updated_at' })
  updatedAt: Date = new Date();
}
