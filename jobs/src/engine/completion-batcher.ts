import { LeaseLostError, type ClaimedTask, type TaskTable } from '@learnhub/platform/tasks/task-table';

interface Waiting {
  task: ClaimedTask;
  resolve(): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 200;

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
        const finished = await this.table.completeMany(batch.map((w) => w.task));
        for (const { task, resolve, reject } of batch) {
          if (finished.has(task.id)) resolve();
          else reject(new LeaseLostError(this.table.definition.queue, task.id));
        }
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
  }

  /** Waits until every completion handed in so far is written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
