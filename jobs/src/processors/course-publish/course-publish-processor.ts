import { LeaseLostError, type ClaimedTask, type TaskTable } from '@learnhub/platform/tasks/task-table';
import { stageColumn, StageState, type CoursePublishPayload } from '@learnhub/content/entities/outbox-message.entity';
import { PermanentTaskError, TaskDeferredError, type QueueProcessor, type TaskContext } from '@learnhub/platform/tasks/processor';
import type { ProcessorLease } from '@learnhub/platform/tasks/processor-lease';
import type { EntityManager } from '@mikro-orm/core';
import { CoursePublishingRepository } from '@learnhub/content/repositories/course-publishing.repository';
import type { MediaDirectory } from '@learnhub/content/services/media-directory';
import { publishMessage } from './publish-message';
import type { PublishStage } from './publish-stage';

export interface CoursePublishSettings {
  concurrency: number;
  lease: ProcessorLease;
}

/**
 * Carries a change of a published record out of the outbox: the page, the search document and
 * the cache entry, in that order. Each stage's state is recorded on the message as it finishes
 * (only while this worker holds the lease), so a retry or another worker skips what is done.
 */
export class CoursePublishProcessor implements QueueProcessor<CoursePublishPayload> {
  readonly concurrency: number;
  readonly lease: ProcessorLease;

  constructor(
    readonly table: TaskTable<CoursePublishPayload>,
    private readonly stages: readonly PublishStage[],
    /** Where the stages read the published record (content's database) and its media. */
    private readonly sources: { em: EntityManager; media: MediaDirectory },
    settings: CoursePublishSettings,
  ) {
    ({ concurrency: this.concurrency, lease: this.lease } = settings);
  }

  async process(task: ClaimedTask<CoursePublishPayload>, context: TaskContext): Promise<void> {
    const { courseId } = task.payload;
    const message = publishMessage(courseId, new CoursePublishingRepository(this.sources.em.fork()), this.sources.media);
    for (const stage of this.stages) {
      if (task.payload.stages[stage.name] !== StageState.PENDING) continue;
      context.signal.throwIfAborted();
      let outcome;
      try {
        outcome = await stage.run(message, context.signal);
      } catch (error) {
        if (context.signal.aborted) throw error;
        const message = `${stage.name} stage: ${error instanceof Error ? error.message : String(error)}`;
        // Waiting for a dependency is no failure: the stages done stay done and the attempt does not count.
        if (error instanceof TaskDeferredError) throw new TaskDeferredError(message, error.retryInMs);
        // The engine records the failure itself; the time of the last failure is this queue's own column.
        await this.table.recordHeld(task, { last_failure_ms: Date.now() }).catch(() => false);
        throw error instanceof PermanentTaskError ? new PermanentTaskError(message) : new Error(message, { cause: error });
      }
      const recorded = await this.table.recordHeld(task, { [stageColumn(stage.name)]: outcome.state, last_result: `${stage.name}: ${outcome.result}`.slice(0, 500), last_success_ms: Date.now() });
      if (!recorded) throw new LeaseLostError(this.table.definition.queue, task.id);
      context.log.info({ courseId, stage: stage.name, outcome: outcome.state, result: outcome.result }, 'publish stage finished');
    }
  }
}
