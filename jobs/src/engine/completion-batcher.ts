import { LeaseLostError, type ClaimedTask, type TaskTable } from '@learnhub/platform/tasks';

interface Waiting {
  task: ClaimedTask;
  resolve(): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 200;
/** A batch that fails on the database (a deadlock, a dropped connection) is written again this often before its tasks count as failed. */
const WRITE_ATTEMPTS = 3;

/**
 * Finishes tasks that wrote nothing of their own in batches: while one batch is being written,
 * the tasks finishing meanwhile gather into the next, so a busy queue pays one statement for
 * many tasks and an idle one pays no added delay (like a database's group commit).
 */
export class CompletionBatcher {
  private waiting: Waiting[] = [];
  private flushing?: Promise<void>;

  constructor(private readonly table: TaskTable) {}

  /** Resolves once the task is in the history; rejects with LeaseLostError when its lease was lost. */
  complete(task: ClaimedTask): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ task, resolve, reject }));
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    return done;
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const finished = await this.write(batch.map((w) => w.task));
        for (const { task, resolve, reject } of batch) {
          if (finished.has(task.id)) resolve();
          else reject(new LeaseLostError(this.table.definition.queue, task.id));
        }
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
  }

  /** Writing again is safe: a rolled-back batch changed nothing, and the lease tokens fence each task. */
  private async write(tasks: ClaimedTask[]): Promise<Set<string>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.table.completeMany(tasks);
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  /** Waits until every completion handed in so far is written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
