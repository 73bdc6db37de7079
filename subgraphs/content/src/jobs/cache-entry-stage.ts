import type { Cache } from '@learnhub/platform/cache';
import { CacheUnavailableError } from '@learnhub/platform/cache';
import { StageState } from '../entities/outbox-message.entity';
import { writePublishedEntry } from '../publishing/published-course-cache';
import { isPublic } from '@learnhub/contracts/published-course';
import { TaskDeferredError } from '@learnhub/platform/tasks';
import type { PublishMessage, PublishStage, StageOutcome } from './publish-stage';

/**
 * Stage 3: the cache entry `publishedCourse` reads first, written while published and evicted while
 * offline. While the cache is unreachable the message waits for it, uncounted, rather than fail or
 * skip: Redis may come back holding an older entry that only this write replaces.
 */
export class CacheEntryStage implements PublishStage {
  readonly name = 'cache' as const;

  constructor(private readonly cache: Cache) {}

  async run(message: PublishMessage): Promise<StageOutcome> {
    const record = await message.record();
    let outcome;
    try {
      outcome = await writePublishedEntry(this.cache, message.courseId, record);
    } catch (error) {
      if (error instanceof CacheUnavailableError)
        throw new TaskDeferredError(`${error.message}; the entry is written once it answers`, error.retryInMs);
      throw error;
    }
    if (outcome === 'uncached') return { state: StageState.SKIPPED, result: 'no cache is configured (REDIS_URL)' };
    const what = record && isPublic(record) ? 'cached' : 'evicted';
    return { state: StageState.DONE, result: `cache entry ${what} at version ${record?.version ?? 0} (${outcome})` };
  }
}
