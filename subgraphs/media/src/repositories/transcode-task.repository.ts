import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { pageLiveThenFinished } from '@learnhub/platform/tasks/live-then-finished';
import { TaskTable } from '@learnhub/platform/tasks/task-table';
import { TaskState } from '@learnhub/platform/tasks/task-state';
import { MediaProcess, transcodeTasks } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';

/** A transcoding task as stored, live (`media_process`) or succeeded (`media_process_history`). Times are epoch milliseconds. */
export interface TranscodeTaskRecord {
  id: string;
  fileMd5: string;
  state: TaskState;
  attempts: number;
  /** Undefined for a succeeded task: the history does not keep it. */
  maxAttempts?: number;
  progress?: number;
  lastError?: string;
  leaseOwner?: string;
  leaseUntilMs?: number;
  /** Null in the table once no automatic attempt follows; undefined here then. */
  runAtMs?: number;
  finishedBy?: string;
  finishedAtMs?: number;
  createdAt: Date;
}

export interface TranscodeTaskListFilter {
  state?: TaskState;
  fileMd5?: string;
}

const fromLive = (task: MediaProcess): TranscodeTaskRecord => ({
  id: String(task.id),
  fileMd5: task.fileMd5,
  state: task.state,
  attempts: task.attempts,
  maxAttempts: task.maxAttempts,
  progress: task.progress ?? undefined,
  lastError: task.lastError ?? undefined,
  leaseOwner: task.leaseOwner ?? undefined,
  leaseUntilMs: task.leaseUntilMs ?? undefined,
  runAtMs: task.runAtMs ?? undefined,
  createdAt: task.createdAt,
});

const fromHistory = (task: MediaProcessHistory): TranscodeTaskRecord => ({
  id: String(task.id),
  fileMd5: task.fileMd5,
  state: TaskState.SUCCEEDED,
  attempts: task.attempts,
  finishedBy: task.finishedBy,
  finishedAtMs: task.finishedAtMs,
  createdAt: task.createdAt,
});

/** Transcoding tasks as people operate them: listed across both tables, retried, cancelled. */
export class TranscodeTaskRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * One page of the tasks matching `filter`, and how many match: live tasks newest first, then
   * succeeded ones newest first, as if the two tables were one list.
   */
  page(filter: TranscodeTaskListFilter, offset: number, limit: number): Promise<[TranscodeTaskRecord[], number]> {
    const { state, fileMd5 } = filter;
    const live: FilterQuery<MediaProcess> = {};
    if (fileMd5) live.fileMd5 = fileMd5;
    if (state) live.state = state;
    const history: FilterQuery<MediaProcessHistory> = fileMd5 ? { fileMd5 } : {};
    return pageLiveThenFinished(
      {
        countLive: state === TaskState.SUCCEEDED ? undefined : () => this.em.count(MediaProcess, live),
        countFinished: state === undefined || state === TaskState.SUCCEEDED ? () => this.em.count(MediaProcessHistory, history) : undefined,
        live: async (at, size) => (await this.em.find(MediaProcess, live, { orderBy: { id: 'desc' }, offset: at, limit: size })).map(fromLive),
        finished: async (at, size) => (await this.em.find(MediaProcessHistory, history, { orderBy: { id: 'desc' }, offset: at, limit: size })).map(fromHistory),
      },
      offset,
      limit,
    );
  }

  /** The task with this row id, live or succeeded. */
  async find(id: string): Promise<TranscodeTaskRecord | undefined> {
    // Retry and cancel change the row behind the identity map's back.
    const live = await this.em.findOne(MediaProcess, { id }, { refresh: true });
    if (live) return fromLive(live);
    const done = await this.em.findOne(MediaProcessHistory, { id });
    return done ? fromHistory(done) : undefined;
  }

  /** Queues a failed or cancelled task again with its attempts counted from zero; CONFLICT or NOT_FOUND otherwise. */
  retry(id: string): Promise<void> {
    return new TaskTable(this.em, transcodeTasks).retry(id);
  }

  /** Stops a task that has not finished, taking its lease from any worker; CONFLICT or NOT_FOUND otherwise. */
  cancel(id: string, reason: string): Promise<void> {
    return new TaskTable(this.em, transcodeTasks).cancel(id, reason);
  }
}
