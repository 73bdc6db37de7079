import { LeaseLostError, type ClaimedTask, type TaskTable } from '@learnhub/platform/tasks';
import { StageState, type CoursePublishPayload } from '../entities/outbox-message.entity';
import { writeOutboxStages, type OutboxStageRecord } from '../entities/outbox-stages.type';
import { PermanentTaskError, TaskDeferredError, type QueueProcessor, type TaskContext } from '@learnhub/platform/tasks';
import type { ProcessorLease } from '@learnhub/platform/tasks';
import type { EntityManager } from '@mikro-orm/core';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import type { MediaDirectory } from '@learnhub/media/client';
import { publishMessage } from './publish-message';
import type { PublishStage } from './publish-stage';

export interface CoursePublishSettings {
  concurrency: number;
  lease: ProcessorLease;
}

/** Two stages of one processor share a name, so a message's record of one would stand for both. */
export class DuplicateStageError extends Error {
  constructor(name: string) {
    super(
      `Two publish stages are named "${name}"; each stage's record on a message is found by its name, so give each stage its own.`,
    );
    this.name = 'DuplicateStageError';
  }
}

/**
 * Carries a change of a published record out of the outbox by running its stages in the order
 * given (the only list of them). Each stage is recorded on the message as it finishes (only while
 * this worker holds the lease), so a retry or another worker skips what is done; a stage the
 * message has no record of is pending.
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
    const names = new Set<string>();
    for (const { name } of stages) {
      if (names.has(name)) throw new DuplicateStageError(name);
      names.add(name);
    }
  }

  async process(task: ClaimedTask<CoursePublishPayload>, context: TaskContext): Promise<void> {
    const { courseId } = task.payload;
    const message = publishMessage(
      courseId,
      new CoursePublishingRepository(this.sources.em.fork()),
      this.sources.media,
    );
    const recorded = new Map(task.payload.stages.map((stage) => [stage.name, stage]));
    // The whole list is written with each record, so the message shows every stage, pending ones too, in this order.
    const records: OutboxStageRecord[] = this.stages.map(
      ({ name }) => recorded.get(name) ?? { name, state: StageState.PENDING },
    );
    for (const [at, stage] of this.stages.entries()) {
      if (records[at].state !== StageState.PENDING) continue;
      context.signal.throwIfAborted();
      let outcome;
      try {
        outcome = await stage.run(message, context.signal);
      } catch (error) {
        if (context.signal.aborted) throw error;
        const message = `${stage.name} stage: ${error instanceof Error ? error.message : String(error)}`;
        // Waiting for a dependency is no failure: the stages done stay done and the attempt does not count.
        if (error instanceof TaskDeferredError) throw new TaskDeferredError(message, error.retryInMs);
        // The engine records the failure itself; the stages (for people to see) and the time of the last failure are this queue's own.
        await this.table
          .recordHeld(task, { stages: writeOutboxStages(records), last_failure_ms: Date.now() })
          .catch(() => false);
        throw error instanceof PermanentTaskError
          ? new PermanentTaskError(message)
          : new Error(message, { cause: error });
      }
      const finishedAtMs = Date.now();
      records[at] = { name: stage.name, state: outcome.state, result: outcome.result.slice(0, 500), finishedAtMs };
      const held = await this.table.recordHeld(task, {
        stages: writeOutboxStages(records),
        last_result: `${stage.name}: ${outcome.result}`.slice(0, 500),
        last_success_ms: finishedAtMs,
      });
      if (!held) throw new LeaseLostError(this.table.definition.queue, task.id);
      context.log.info(
        { courseId, stage: stage.name, outcome: outcome.state, result: outcome.result },
        'publish stage finished',
      );
    }
  }
}
