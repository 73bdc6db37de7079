import type { EntityManager } from '@mikro-orm/core';
import { PausePoints } from '@learnhub/platform/faults';
import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { MediaRepository } from '../repositories/media.repository';
import { UploadSessionRepository } from '../repositories/upload-session.repository';
import { UploadCleanupService } from '../services/upload-cleanup.service';
import { UploadMergeService, type MergeLeaseSettings, type VideoIntake } from '../services/upload-merge.service';
import type { CronSchedule } from '@learnhub/platform/tasks';
import type { ScheduledProcessor } from '@learnhub/platform/tasks';

/** Expires abandoned chunked uploads and finishes (or rolls back) merges whose process died, on a schedule. */
export class UploadCleanupProcessor implements ScheduledProcessor {
  readonly name = 'upload-cleanup';

  constructor(
    readonly em: EntityManager,
    readonly schedule: CronSchedule,
    private readonly store: ObjectStore,
    private readonly ttlSeconds: number,
    /** Probes and queues the videos of merges it finishes, as a merge call would. */
    private readonly videos: VideoIntake,
    private readonly mergeLease: MergeLeaseSettings,
  ) {}

  async run(signal: AbortSignal, log: Logger): Promise<Record<string, unknown>> {
    const em = this.em.fork();
    const sessions = new UploadSessionRepository(em);
    const merges = new UploadMergeService(
      sessions,
      new MediaRepository(em),
      this.store,
      this.videos,
      this.mergeLease,
      log,
      new PausePoints(),
    );
    const service = new UploadCleanupService(sessions, this.store, this.ttlSeconds, log, merges);
    return { ...(await service.run(new Date(), signal)) };
  }
}
