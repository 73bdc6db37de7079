import type { EntityManager } from '@mikro-orm/core';
import type { Logger } from '../logger';
import type { ClaimedTask, TaskTable } from './task-table';
import type { CronSchedule } from './cron';
import type { ProcessorLease } from './processor-lease';

/** What a running task can do besides its work. */
export interface TaskContext {
  /**
   * Aborts when the worker must stop the task: its lease was lost (expired, or a person cancelled
   * the task) or the worker is shutting down. Stop promptly; nothing the task writes afterwards counts.
   */
  signal: AbortSignal;
  /** A percentage (0-100), stored with the task at the next renewal (at most about once a second). */
  progress(percent: number): void;
  /**
   * Writes the task's results in the transaction that finishes it; the transaction commits only
   * while this worker still holds the lease. Without a call, the task finishes with no writes.
   */
  complete(work: (tx: EntityManager) => Promise<void>): Promise<void>;
  log: Logger;
}

/** Works one queue's tasks, reading each task's payload as `T`. */
export interface QueueProcessor<T = unknown> {
  table: TaskTable<T>;
  /** Tasks this worker runs at once. */
  concurrency: number;
  lease: ProcessorLease;
  process(task: ClaimedTask<T>, context: TaskContext): Promise<void>;
}

/** Work that runs on a schedule, once per due time across all workers. */
export interface ScheduledProcessor {
  name: string;
  schedule: CronSchedule;
  /** The database whose `job_schedules` decides which worker runs each due time. */
  em: EntityManager;
  run(signal: AbortSignal, log: Logger): Promise<Record<string, unknown>>;
}

/** A failure that retrying cannot fix (the input is not a video, say): the task fails for good at once. */
export class PermanentTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentTaskError';
  }
}

/**
 * The task cannot go on until something outside it comes back (Redis, say): it returns to the
 * queue and is tried again in `retryInMs`, and the attempt does not count, however long the wait.
 */
export class TaskDeferredError extends Error {
  constructor(
    message: string,
    readonly retryInMs: number,
  ) {
    super(message);
    this.name = 'TaskDeferredError';
  }
}

/** The reason a task's signal aborts when its worker shuts down. */
export class WorkerShutdownError extends Error {
  constructor() {
    super('The worker is shutting down; the task goes back to the queue.');
    this.name = 'WorkerShutdownError';
  }
}
