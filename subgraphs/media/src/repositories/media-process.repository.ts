import type { EntityManager } from '@mikro-orm/core';
import { MediaProcess, ProcessState } from '../entities/media-process.entity';
import type { MediaObject } from '../entities/media-object.entity';

/** The only place that knows how transcoding tasks are stored. */
export class MediaProcessRepository {
  constructor(private readonly em: EntityManager) {}

  /** Queues a PENDING task for the object unless it has one, whatever that one's state; returns the task. */
  async enqueue(object: Pick<MediaObject, 'fileMd5' | 'bucket' | 'objectKey'>): Promise<MediaProcess> {
    const now = new Date();
    // Insert-or-ignore on the unique MD5, so concurrent merges of one file queue one task.
    return this.em.upsert(
      MediaProcess,
      { fileMd5: object.fileMd5, bucket: object.bucket, objectKey: object.objectKey, state: ProcessState.PENDING, attempts: 0, createdAt: now, updatedAt: now },
      { onConflictFields: ['fileMd5'], onConflictAction: 'ignore' },
    );
  }
}
