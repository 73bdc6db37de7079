import type { Cache } from '@learnhub/platform/cache/cache';
import { StageState } from '@learnhub/content/entities/outbox-message.entity';
import { writePublishedEntry } from '@learnhub/content/publishing/published-course-cache';
import { isPublic } from '@learnhub/content/publishing/published-course-record';
import type { PublishMessage, PublishStage, StageOutcome } from './publish-stage';

/** Stage 3: the cache entry `publishedCourse` reads first, written while published and evicted while offline. */
export class CacheEntryStage implements PublishStage {
  readonly name = 'cache' as const;

  constructor(private readonly cache: Cache) {}

  async run(message: PublishMessage): Promise<StageOutcome> {
    if (this.cache.kind === 'none') return { state: StageState.SKIPPED, result: 'no cache is configured (REDIS_URL)' };
    const record = await message.record();
    const outcome = await writePublishedEntry(this.cache, message.courseId, record);
    const what = record && isPublic(record) ? 'cached' : 'evicted';
    return { state: StageState.DONE, result: `cache entry ${what} at version ${record?.version ?? 0} (${outcome})` };
  }
}
