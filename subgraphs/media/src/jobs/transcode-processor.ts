import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import type { ObjectStore } from '@learnhub/platform/object-store';
import type { ClaimedTask, TaskTable } from '@learnhub/platform/tasks';
import { MediaObject } from '../entities/media-object.entity';
import type { TranscodePayload } from '../entities/media-process.entity';
import { NotMediaError, type MediaProber, type ProbeResult } from '../video-tools/media-prober';
import { playbackKey, posterKey } from '../rules/object-keys';
import { PermanentTaskError, type QueueProcessor, type TaskContext } from '@learnhub/platform/tasks';
import type { ProcessorLease } from '@learnhub/platform/tasks';
import { NotTranscodableError, transcodeModeOf, type FfmpegTranscoder } from '../video-tools/ffmpeg-transcoder';

export interface TranscodeSettings {
  concurrency: number;
  lease: ProcessorLease;
  /** ffmpeg making no progress for this long is killed and the attempt fails. */
  stallMs: number;
  /** Where attempts write their output before it goes to the object store. */
  workDir: string;
}

/**
 * Converts a stored video browsers cannot play into an H.264/AAC MP4 with fast start (a stream
 * copy when the codecs already are H.264/AAC), plus a poster frame, and points the media at it
 * in the transaction that finishes the task.
 */
export class TranscodeProcessor implements QueueProcessor<TranscodePayload> {
  readonly concurrency: number;
  readonly lease: ProcessorLease;

  constructor(
    readonly table: TaskTable<TranscodePayload>,
    private readonly store: ObjectStore,
    private readonly transcoder: FfmpegTranscoder,
    private readonly prober: MediaProber,
    private readonly settings: TranscodeSettings,
  ) {
    ({ concurrency: this.concurrency, lease: this.lease } = settings);
  }

  async process(task: ClaimedTask<TranscodePayload>, context: TaskContext): Promise<void> {
    const { fileMd5, probed, ...source } = task.payload;
    const input = await this.store.readSource(source.bucket, source.objectKey);
    const facts = probed ?? (await this.probe(input, fileMd5));
    const mode = transcodeModeOf(facts);
    const dir = join(this.settings.workDir, `${task.id}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    try {
      const output = join(dir, 'playback.mp4');
      const poster = join(dir, 'poster.jpg');
      context.log.info({ fileMd5, mode }, 'transcoding');
      try {
        await this.transcoder.run({
          input: 'path' in input ? input.path : input.url,
          output,
          poster,
          mode,
          durationSeconds: facts.durationSeconds,
          signal: context.signal,
          stallMs: this.settings.stallMs,
          onProgress: (percent) => context.progress(percent),
        });
      } catch (error) {
        if (error instanceof NotTranscodableError) throw new PermanentTaskError(error.message);
        throw error;
      }
      const keys = { playback: playbackKey(fileMd5, source.objectKey), poster: posterKey(fileMd5) };
      // Both holders of a lost-and-retaken lease write the same keys with the same bytes, so a late write is harmless.
      await this.store.put(source.bucket, keys.playback, createReadStream(output), {
        contentType: 'video/mp4',
        size: (await stat(output)).size,
      });
      await this.store.put(source.bucket, keys.poster, createReadStream(poster), {
        contentType: 'image/jpeg',
        size: (await stat(poster)).size,
      });
      const known = await this.table.em
        .fork()
        .findOne(MediaObject, { fileMd5 }, { fields: ['width', 'durationSeconds'] });
      const measured =
        known?.width != null && known.durationSeconds != null ? facts : await this.probe({ path: output }, fileMd5);
      await context.complete((tx) => pointMediaAt(tx, fileMd5, keys, measured));
      context.log.info({ fileMd5, mode, playbackKey: keys.playback }, 'transcoded');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async probe(source: Parameters<MediaProber['probe']>[0], fileMd5: string): Promise<ProbeResult> {
    try {
      return await this.prober.probe(source);
    } catch (error) {
      if (error instanceof NotMediaError)
        throw new PermanentTaskError(
          `The stored file ${fileMd5} is not a video that can be converted: ${error.message}`,
        );
      throw error;
    }
  }
}

/** The media now plays from the MP4; what the merge-time probe left unknown is filled in. */
async function pointMediaAt(
  tx: EntityManager,
  fileMd5: string,
  keys: { playback: string; poster: string },
  facts: Partial<ProbeResult>,
): Promise<void> {
  const object = await tx.findOne(MediaObject, { fileMd5 });
  // The media was deleted while it was being transcoded: the task still finishes, with nothing to point.
  if (!object) return;
  object.playbackKey = keys.playback;
  object.posterKey = keys.poster;
  object.durationSeconds ??= facts.durationSeconds;
  object.width ??= facts.width;
  object.height ??= facts.height;
  await tx.flush();
}
