import type { EntityClass, EntityManager, FilterQuery, FindOptions } from '@mikro-orm/core';
import type { FinishedTask } from './finished-task.entity';
import type { LeasedTask } from './leased-task.entity';
import { pageLiveThenFinished } from './live-then-finished';
import { TaskState } from './task-state';

/** A queue's task as people list it, live or finished. Times are epoch milliseconds. */
export interface TaskRecord {
  id: string;
  state: TaskState;
  attempts: number;
  /** Undefined for a finished task: the history does not keep it. */
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

/** A queue's two entities, and what its records add to the lease columns from each. */
export interface TaskEntities<Live, Finished, Own> {
  live: EntityClass<Live>;
  finished: EntityClass<Finished>;
  ownOfLive(task: Live): Own;
  ownOfFinished(task: Finished): Own;
}

/** Which tasks to list: a state, and values of columns both tables keep (the file, the course). */
export interface TaskListFilter<Live, Finished> {
  state?: TaskState;
  where?: Partial<Pick<Live, keyof Live & keyof Finished>>;
}

const newestFirst = { orderBy: { id: 'desc' } } as const;

/**
 * A queue's tasks as people list them: live ones newest first, then finished ones newest first,
 * as if the two tables were one list. Live rows are always read afresh: retry and cancel change
 * them behind the identity map.
 */
export class TaskListing<Live extends LeasedTask<string>, Finished extends FinishedTask, Own extends object> {
  constructor(
    private readonly em: EntityManager,
    private readonly entities: TaskEntities<Live, Finished, Own>,
  ) {}

  /** One page of the tasks matching `filter`, and how many match. */
  page(
    filter: TaskListFilter<Live, Finished>,
    offset: number,
    limit: number,
  ): Promise<[Array<TaskRecord & Own>, number]> {
    const { state, where = {} } = filter;
    const { live: liveEntity, finished: finishedEntity } = this.entities;
    const live = (state ? { ...where, state } : where) as FilterQuery<Live>;
    const finished = where as FilterQuery<Finished>;
    return pageLiveThenFinished(
      {
        countLive: state === TaskState.SUCCEEDED ? undefined : () => this.em.count(liveEntity, live),
        countFinished:
          state === undefined || state === TaskState.SUCCEEDED
            ? () => this.em.count(finishedEntity, finished)
            : undefined,
        live: async (at, size) =>
          (
            await this.em.find(liveEntity, live, {
              ...newestFirst,
              offset: at,
              limit: size,
              refresh: true,
            } as FindOptions<Live>)
          ).map((task) => this.ofLive(task)),
        finished: async (at, size) =>
          (
            await this.em.find(finishedEntity, finished, {
              ...newestFirst,
              offset: at,
              limit: size,
            } as FindOptions<Finished>)
          ).map((task) => this.ofFinished(task)),
      },
      offset,
      limit,
    );
  }

  /** The task with this row id, live or finished. */
  async find(id: string): Promise<(TaskRecord & Own) | undefined> {
    const live = await this.em.findOne(this.entities.live, { id } as FilterQuery<Live>, { refresh: true });
    if (live) return this.ofLive(live);
    const done = await this.em.findOne(this.entities.finished, { id } as FilterQuery<Finished>);
    return done ? this.ofFinished(done) : undefined;
  }

  private ofLive(task: Live): TaskRecord & Own {
    return {
      id: String(task.id),
      state: task.state,
      attempts: task.attempts,
      maxAttempts: task.maxAttempts,
      progress: task.progress ?? undefined,
      lastError: task.lastError ?? undefined,
      leaseOwner: task.leaseOwner ?? undefined,
      leaseUntilMs: task.leaseUntilMs ?? undefined,
      runAtMs: task.runAtMs ?? undefined,
      createdAt: task.createdAt,
      ...this.entities.ownOfLive(task),
    };
  }

  private ofFinished(task: Finished): TaskRecord & Own {
    return {
      id: String(task.id),
      state: TaskState.SUCCEEDED,
      attempts: task.attempts,
      finishedBy: task.finishedBy,
      finishedAtMs: task.finishedAtMs,
      createdAt: task.createdAt,
      ...this.entities.ownOfFinished(task),
    };
  }
}
