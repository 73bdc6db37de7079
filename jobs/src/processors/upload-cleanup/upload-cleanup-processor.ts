import type { EntityManager } from '@mikro-orm/core';
import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
import { UploadSessionRepository } from '@learnhub/media/repositories/upload-session.repository';
import { UploadCleanupService } from '@learnhub/media/services/upload-cleanup.service';
import type { CronSchedule } from '../../engine/cron';
import type { ScheduledProcessor } from '../../engine/processor';

/** Expires abandoned chunked uploads on a schedule (DOMAIN.md: abandoned uploads). */
export class UploadCleanupProcessor implements ScheduledProcessor {
  readonly name = 'upload-cleanup';

  constructor(
    readonly em: EntityManager,
    readonly schedule: CronSchedule,
    private readonly store: ObjectStore,
    private readonly ttlSeconds: number,
  ) {}

  async run(signal: AbortSignal, log: Logger): Promise<Record<string, unknown>> {
    const service = new UploadCleanupService(new UploadSessionRepository(this.em.fork()), this.store, this.ttlSeconds, log);
    return { ...(await service.expireIdle(new Date(), signal)) };
  }
}
