import type { EntityManager } from '@mikro-orm/core';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaProcess } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';
import type { MediaObject } from '../entities/media-object.entity';
import type { ProbeResult } from '../video-tools/media-prober';

/** The only place that knows how transcoding tasks are stored. */
export class MediaProcessRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Queues a PENDING task, claimable at once, for the object unless it has one, whatever that
   * one's state, or had one that succeeded.
   */
  async enqueue(object: Pick<MediaObject, 'fileMd5' | 'bucket' | 'objectKey'>, probe?: ProbeResult): Promise<void> {
    // A succeeded task has left the live table, whose unique MD5 therefore no longer stops a second one.
    if ((await this.em.count(MediaProcessHistory, { fileMd5: object.fileMd5 })) > 0) return;
    const now = new Date();
    // Insert-or-ignore on the unique MD5, so concurrent merges of one file queue one task.
    await this.em.upsert(
      MediaProcess,
      {
        fileMd5: object.fileMd5,
        bucket: object.bucket,
        objectKey: object.objectKey,
        state: TaskState.PENDING,
        attempts: 0,
        // Due from now, so claims take tasks in the order they became due (this host's clock; NTP keeps it close to the database's).
        runAtMs: now.getTime(),
        videoCodec: probe?.videoCodec ?? null,
        audioCodec: probe?.audioCodec ?? null,
        durationSeconds: probe?.durationSeconds ?? null,
        createdAt: now,
        updatedAt: now,
      },
      { onConflictFields: ['fileMd5'], onConflictAction: 'ignore' },
    );
  }
}
