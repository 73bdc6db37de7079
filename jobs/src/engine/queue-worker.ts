import type { EntityManager } from '@mikro-orm/core';
import type { Logger } from '@learnhub/platform/logger';
import { LeaseKeeper } from '@learnhub/platform/tasks';
import { LeaseLostError, type ClaimedTask, type ShardFilter } from '@learnhub/platform/tasks';
import { backoffDelay } from '@learnhub/platform/tasks';
import { CompletionBatcher } from './completion-batcher';
import type { JobMetrics } from './job-metrics';
import {
  PermanentTaskError,
  TaskDeferredError,
  WorkerShutdownError,
  type QueueProcessor,
  type TaskContext,
} from '@learnhub/platform/tasks';

const PROGRESS_WRITE_MS = 1000;
/** The shard filter every task id passes. */
const EVERY_SHARD: ShardFilter = { index: 0, total: 1 };

interface Running {
  task: ClaimedTask;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs one queue's tasks in one worker: claims as many as it has free slots (in its shard only),
 * keeps each lease renewed while the task runs, and records the outcome under that lease.
 */
export class QueueWorker {
  private readonly running = new Map<string, Running>();
  private readonly completions: CompletionBatcher;
  private shard?: ShardFilter;
  private stopping = false;
  private filling = false;
  /** The claim loop running now, if any: stop() waits for it. */
  private claiming?: Promise<void>;
  private fillAgain = false;
  /** Its own shard had too few due tasks at the last claim: claim from every shard until the next heartbeat. */
  private ownShardDrained = false;
  /** Tasks given back by stop(), for the engine to wake the other workers about. */
  private releasedAtStop = 0;

  constructor(
    readonly processor: QueueProcessor,
    private readonly workerId: string,
    private readonly metrics: JobMetrics,
    private readonly log: Logger,
  ) {
    this.completions = new CompletionBatcher(processor.table);
  }

  get queue(): string {
    return this.processor.table.definition.queue;
  }

  /** Called at every heartbeat with the shard it derived from the members it read. */
  setShard(shard: ShardFilter | undefined): void {
    this.ownShardDrained = false;
    const changed = shard?.index !== this.shard?.index || shard?.total !== this.shard?.total;
    this.shard = shard;
    if (changed) {
      this.log.info({ queue: this.queue, shard: shard ? `${shard.index}/${shard.total}` : 'none' }, 'shard assigned');
      if (shard) this.fill();
    }
  }

  /** Claims work for every free slot; called on wake-ups, polls, and whenever a task ends. */
  fill(): void {
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    this.claiming = this.claimWhileFree()
      .catch((error) =>
        this.log.warn({ err: error, queue: this.queue }, 'claiming tasks failed; trying again at the next poll'),
      )
      .finally(() => {
        this.filling = false;
        this.claiming = undefined;
        if (this.fillAgain) {
          this.fillAgain = false;
          this.fill();
        }
      });
  }

  private async claimWhileFree(): Promise<void> {
    for (;;) {
      const shard = this.shard;
      const free = this.processor.concurrency - this.running.size;
      if (this.stopping || !shard || free <= 0) return;
      const tasks = await this.claim(shard, free);
      if (this.stopping) {
        // Stopped while the claim was in flight: give the tasks back untouched rather than start them.
        await Promise.allSettled(tasks.map((task) => this.processor.table.release(task)));
        return;
      }
      if (tasks.length > 0) this.metrics.claimed.inc({ queue: this.queue }, tasks.length);
      for (const task of tasks) this.start(task);
      if (tasks.length < free) return;
    }
  }

  /**
   * Its own shard first, then due tasks of any shard: views of the membership differ for up to a
   * heartbeat as workers join and leave, and a crashed member keeps its shard until it expires, so
   * a shard may have no worker for a while. The atomic claim keeps each task with one holder.
   */
  private async claim(shard: ShardFilter, free: number): Promise<ClaimedTask[]> {
    const { table } = this.processor;
    const { leaseMs } = this.processor.lease;
    // Once its own shard came up short, claiming it first again only costs a round trip, until the next heartbeat.
    if (this.ownShardDrained) return table.claim(this.workerId, EVERY_SHARD, free, leaseMs);
    const own = await table.claim(this.workerId, shard, free, leaseMs);
    if (own.length === free || shard.total === 1 || this.stopping) return own;
    this.ownShardDrained = true;
    return [...own, ...(await table.claim(this.workerId, EVERY_SHARD, free - own.length, leaseMs))];
  }

  private start(task: ClaimedTask): void {
    const { table } = this.processor;
    const { leaseMs, renewEveryMs } = this.processor.lease;
    const controller = new AbortController();
    const log = this.log.child({ queue: this.queue, taskId: task.id, attempt: task.attempt });
    let progress: number | undefined;
    let progressWrittenAt = 0;
    let completed = false;
    const startedAt = Date.now();
    const lease = new LeaseKeeper(
      controller,
      () => {
        progressWrittenAt = Date.now();
        return table.renew(task, leaseMs, progress);
      },
      { leaseMs, renewEveryMs, log, lost: () => new LeaseLostError(this.queue, task.id) },
    );

    const context: TaskContext = {
      signal: controller.signal,
      log,
      progress(percent) {
        progress = Math.max(0, Math.min(100, Math.round(percent)));
        if (Date.now() - progressWrittenAt >= PROGRESS_WRITE_MS) void lease.renew();
      },
      complete: async (work: (tx: EntityManager) => Promise<void>) => {
        if (controller.signal.aborted) throw controller.signal.reason;
        await table.complete(task, work);
        completed = true;
      },
    };

    let freed = false;
    const free = () => {
      lease.stop();
      if (freed) return;
      freed = true;
      this.running.delete(task.id);
      this.fill();
    };
    const done = (async () => {
      try {
        await this.processor.process(task, context);
        if (!completed) {
          if (controller.signal.aborted) throw controller.signal.reason;
          // The work is done: its slot takes the next task while the completion joins the next batch.
          free();
          await this.completions.complete(task);
        }
        this.metrics.succeeded.inc({ queue: this.queue });
        log.info({ durationMs: Date.now() - startedAt }, 'task succeeded');
      } catch (error) {
        await this.settleFailure(task, controller.signal, error, log);
      } finally {
        free();
      }
    })();
    this.running.set(task.id, { task, controller, done });
  }

  private async settleFailure(task: ClaimedTask, signal: AbortSignal, error: unknown, log: Logger): Promise<void> {
    const reason: unknown = signal.aborted ? signal.reason : error;
    try {
      if (reason instanceof LeaseLostError || error instanceof LeaseLostError) {
        this.metrics.leaseLost.inc({ queue: this.queue });
        log.warn('lease lost; the task was left to its new holder');
      } else if (reason instanceof WorkerShutdownError) {
        if (await this.processor.table.release(task)) {
          this.metrics.released.inc({ queue: this.queue });
          this.releasedAtStop++;
        }
        log.info('task released at shutdown');
      } else if (error instanceof TaskDeferredError) {
        if (!(await this.processor.table.defer(task, error.message, error.retryInMs))) {
          this.metrics.leaseLost.inc({ queue: this.queue });
          log.warn(
            { err: error },
            'the lease was lost before the task could wait for its dependency; its new holder has it',
          );
          return;
        }
        this.metrics.deferred.inc({ queue: this.queue });
        // Once per task and try: the dependency's own outage is logged where it is seen, once.
        log.debug(
          { reason: error.message, retryInMs: error.retryInMs },
          'task deferred until a dependency answers; the attempt does not count',
        );
      } else {
        const message = error instanceof Error ? error.message : String(error);
        const permanent = error instanceof PermanentTaskError;
        const retryInMs = permanent ? undefined : backoffDelay(this.processor.lease.backoff, task.attempt);
        this.metrics.failed.inc({ queue: this.queue });
        if (!(await this.processor.table.fail(task, message, retryInMs))) {
          this.metrics.leaseLost.inc({ queue: this.queue });
          log.warn({ err: error }, 'the task failed after its lease was lost; the failure was not recorded');
          return;
        }
        const final = permanent || task.attempt >= task.maxAttempts;
        log.warn(
          { err: error, retryInMs: final ? undefined : retryInMs, final },
          final ? 'task failed for good' : 'task failed; will retry',
        );
      }
    } catch (writeError) {
      // The lease runs out on its own and another worker retries: at-least-once still holds.
      log.error({ err: writeError, cause: error }, 'recording the outcome of a task failed');
    }
  }

  /**
   * Stops claiming, lets running tasks finish for up to `graceMs`, then aborts the rest; their
   * leases are released so another worker starts them at once instead of after the lease.
   * Tasks still running `abortWaitMs` after the abort are released anyway. Returns how many it released.
   */
  async stop(graceMs: number, abortWaitMs: number): Promise<number> {
    this.stopping = true;
    // A claim in flight gives back what it takes (see claimWhileFree).
    while (this.claiming) await this.claiming;
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([all(), grace]);
    clearTimeout(timer);
    const stragglers = [...this.running.values()];
    for (const running of stragglers) running.controller.abort(new WorkerShutdownError());
    const settled = await Promise.race([
      all().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), abortWaitMs).unref()),
    ]);
    await this.completions.drain();
    if (settled) return this.releasedAtStop;
    // A task that ignores its signal keeps running in this process, but its lease goes back now.
    const released = await Promise.allSettled(
      stragglers.filter((r) => this.running.has(r.task.id)).map((r) => this.processor.table.release(r.task)),
    );
    return this.releasedAtStop + released.filter((r) => r.status === 'fulfilled' && r.value).length;
  }
}
