import type { EntityManager } from '@mikro-orm/core';
import type { Cache } from '@learnhub/platform/cache/cache';
import { StageState } from '@learnhub/content/entities/outbox-message.entity';
import { writePublishedEntry } from '@learnhub/content/publishing/published-course-cache';
import { isPublic, publishedCourseRecord } from '@learnhub/content/publishing/published-course-record';
import { CoursePublishingRepository } from '@learnhub/content/repositories/course-publishing.repository';
import type { PublishStage, StageOutcome } from './publish-stage';

/** Stage 3: the cache entry `publishedCourse` reads first, written while published and evicted while offline. */
export class CacheEntryStage implements PublishStage {
  readonly name = 'cache' as const;

  constructor(
    private readonly em: EntityManager,
    private readonly cache: Cache,
  ) {}

  async run(courseId: string): Promise<StageOutcome> {
    if (this.cache.kind === 'none') return { state: StageState.SKIPPED, result: 'no cache is configured (REDIS_URL)' };
    const stored = await new CoursePublishingRepository(this.em.fork()).published(courseId);
    const record = stored ? publishedCourseRecord(stored) : undefined;
    const outcome = await writePublishedEntry(this.cache, courseId, record);
    const what = record && isPublic(record) ? 'cached' : 'evicted';
    return { state: StageState.DONE, result: `cache entry ${what} at version ${record?.version ?? 0} (${outcome})` };
  }
}
