import { Entity, Property } from '@mikro-orm/core';
import { LeasedTask } from '@learnhub/platform/tasks';
import type { TaskTableDefinition } from '@learnhub/platform/tasks';
import type { TaskState } from '@learnhub/platform/tasks';
import type { ProbeResult } from '../video-tools/media-prober';

/** A transcoding task's state as the original system numbered it (CANCELLED is new: a person stopped it). */
export const processStateCodes: Record<TaskState, number> = {
  PENDING: 1,
  SUCCEEDED: 2,
  FAILED: 3,
  PROCESSING: 4,
  CANCELLED: 5,
};

/** What a transcoding worker reads of its task: the stored video, and what the merge-time probe found of it. */
export interface TranscodePayload {
  fileMd5: string;
  bucket: string;
  objectKey: string;
  /** Undefined when the task holds no video codec: the worker probes the video itself. */
  probed?: Pick<ProbeResult, 'videoCodec' | 'audioCodec' | 'durationSeconds'>;
}

const textOrUndefined = (value: unknown) =>
  value === null || value === undefined || value === '' ? undefined : String(value);
const numberOrUndefined = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));

/** Where the jobs engine finds transcoding tasks; succeeded ones move to the history table. */
export const transcodeTasks: TaskTableDefinition<TranscodePayload> = {
  queue: 'transcode',
  table: 'media_process',
  historyTable: 'media_process_history',
  payloadColumns: ['file_md5', 'bucket', 'object_key'],
  label: 'Transcoding task',
  payloadOf: (row) => ({
    fileMd5: String(row.file_md5),
    bucket: String(row.bucket),
    objectKey: String(row.object_key),
    probed: row.video_codec
      ? {
          videoCodec: String(row.video_codec),
          audioCodec: textOrUndefined(row.audio_codec),
          durationSeconds: numberOrUndefined(row.duration_seconds),
        }
      : undefined,
  }),
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
