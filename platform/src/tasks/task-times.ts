/** A queue task's times as stored: epoch milliseconds of the database's clock. */
export interface StoredTaskTimes {
  state: string;
  runAtMs?: number;
  leaseUntilMs?: number;
  finishedAtMs?: number;
}

/** The same times as people read them on a task: dates, and when the next attempt comes. */
export interface TaskTimes {
  leaseExpiresAt?: Date;
  nextAttemptAt?: Date;
  finishedAt?: Date;
}

export const dateOfMs = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/**
 * A waiting task (pending, or failed with an attempt to come) whose run_at_ms has passed waits
 * only for a worker: its next attempt is now (run_at_ms is 0 for tasks queued before leases existed).
 */
export function taskTimes(task: StoredTaskTimes, nowMs: number): TaskTimes {
  const waiting = (task.state === 'PENDING' || task.state === 'FAILED') && task.runAtMs !== undefined;
  return {
    leaseExpiresAt: dateOfMs(task.leaseUntilMs),
    nextAttemptAt: waiting ? new Date(Math.max(task.runAtMs!, nowMs)) : undefined,
    finishedAt: dateOfMs(task.finishedAtMs),
  };
}
