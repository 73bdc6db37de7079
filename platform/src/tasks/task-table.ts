import { IsolationLevel, type EntityManager } from '@mikro-orm/core';
import { conflict, notFound } from '../errors';
import { nowMsSql } from '../database/clock-sql';
import type { DatabaseKind } from '../database/database-url';
import { databaseKindOf } from '../database/open-database';
import { sqlChanges, sqlRows } from '../database/raw-sql';
import { newLeaseToken } from './lease-token';
import { TaskState } from './task-state';

/** A live task's row as the database returns it: column names as keys, values as its driver reads them. */
export type TaskRow = Record<string, unknown>;

/**
 * Where a queue's tasks live: one table of live tasks and one of finished ones, in the owner's
 * database; `T` is what a processor reads of each task.
 */
export interface TaskTableDefinition<T = unknown> {
  /** The queue's name in logs, metrics and wake-up messages. */
  queue: string;
  table: string;
  historyTable: string;
  /** The owner's columns that describe the work; copied to the history with the task's id. */
  payloadColumns: readonly string[];
  /** What a person reads for the task in errors ("Transcoding task"). */
  label: string;
  /**
   * The task's payload read from its live row, the one place the queue's columns are decoded. A
   * row it throws on fails for good when claimed: no retry reads it any better.
   */
  payloadOf(row: TaskRow): T;
}

/** A task as a worker holds it: its payload, and the token that proves the lease is still its own. */
export interface ClaimedTask<T = unknown> {
  id: string;
  token: string;
  /** Counting this one. */
  attempt: number;
  maxAttempts: number;
  payload: T;
}

/** The lease of a task passed to someone else (it expired, or a person cancelled the task). */
export class LeaseLostError extends Error {
  constructor(queue: string, id: string) {
    super(`The lease on ${queue} task ${id} was lost: another worker or a person took the task over.`);
    this.name = 'LeaseLostError';
  }
}

export interface ShardFilter {
  index: number;
  total: number;
}

export interface QueueDepth {
  pending: number;
  processing: number;
  /** Waiting for a retry after a failed attempt. */
  retrying: number;
  /** Failed for good or cancelled: waiting for a person. */
  stopped: number;
  oldestPendingAgeMs: number;
}

/**
 * MariaDB's default (repeatable read) locks every index entry a locking read passes, and the gaps
 * between them, so one worker's claim would block (and deadlock with) others' work on other
 * tasks; read committed locks only the rows that match.
 */
const LOCK_FEW = { isolationLevel: IsolationLevel.READ_COMMITTED };

const { PENDING, PROCESSING, FAILED, CANCELLED, SUCCEEDED } = TaskState;
const CLAIMABLE = `state in ('${PENDING}', '${FAILED}', '${PROCESSING}') and attempts < max_attempts`;
const NO_LEASE = `lease_owner = null, lease_token = null, lease_until_ms = null`;

const asNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

function toTime(value: unknown): number {
  if (value === null || value === undefined) return Number.NaN;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const text = String(value);
  return /^\d+$/.test(text)
    ? Number(text)
    : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * Every statement the jobs engine runs on a queue's tables. Each write that belongs to a lease
 * names the lease's token, so a worker that lost its lease changes nothing (fencing): its
 * completion, failure or progress reaches zero rows and it learns it should stop.
 */
export class TaskTable<T = unknown> {
  private readonly now: string;
  readonly kind: DatabaseKind;

  constructor(
    readonly em: EntityManager,
    readonly definition: TaskTableDefinition<T>,
  ) {
    this.kind = databaseKindOf(em);
    this.now = nowMsSql[this.kind];
  }

  private get t(): string {
    return this.definition.table;
  }

  private run(sql: string, params: unknown[], em: EntityManager = this.em): Promise<number> {
    return sqlChanges(em, sql, params);
  }

  private all(sql: string, params: unknown[], em: EntityManager = this.em): Promise<Record<string, unknown>[]> {
    return sqlRows(em, sql, params);
  }

  /** The database's clock, in epoch milliseconds. */
  async clock(): Promise<number> {
    const [row] = await this.all(`select ${this.now} as now_ms`, []);
    return asNumber(row.now_ms);
  }

  /**
   * Atomically takes up to `limit` claimable tasks of `shard` (pending; failed with attempts left
   * whose backoff has passed; processing whose lease expired), longest due first, under one new lease.
   */
  async claim(owner: string, shard: ShardFilter, limit: number, leaseMs: number): Promise<ClaimedTask<T>[]> {
    if (limit <= 0) return [];
    const token = newLeaseToken(owner);
    const where = `${CLAIMABLE} and run_at_ms <= ${this.now} and id % ? = ?`;
    const lease = `state = '${PROCESSING}', attempts = attempts + 1, progress = null, lease_owner = ?, lease_token = ?,
      lease_until_ms = ${this.now} + ?, run_at_ms = ${this.now} + ?`;
    const leaseParams = [owner, token, leaseMs, leaseMs];
    const shardParams = [shard.total, shard.index];
    let rows: Record<string, unknown>[];
    switch (this.kind) {
      case 'postgresql':
        // Materialized, the locking subquery runs exactly once; inside `id in (…)` a nested-loop plan (chosen when
        // the statistics say the table is empty) may run it once per row and lease far more than `limit`.
        rows = await this.all(
          `with picked as materialized (select id from ${this.t} where ${where} order by run_at_ms, id limit ? for update skip locked)
           update ${this.t} set ${lease} from picked where ${this.t}.id = picked.id returning ${this.t}.*`,
          [...shardParams, limit, ...leaseParams],
        );
        break;
      case 'sqlite':
        // One writer at a time: the statement is the lock.
        rows = await this.all(
          `update ${this.t} set ${lease} where id in (select id from ${this.t} where ${where} order by run_at_ms, id limit ?) returning *`,
          [...leaseParams, ...shardParams, limit],
        );
        break;
      case 'mariadb':
        // MariaDB has no UPDATE … RETURNING: lock the rows, lease them, read them back, in one transaction.
        rows = await this.em.transactional(async (tx) => {
          const ids = (
            await this.all(
              `select id from ${this.t} where ${where} order by run_at_ms, id limit ? for update skip locked`,
              [...shardParams, limit],
              tx,
            )
          ).map((r) => r.id);
          if (ids.length === 0) return [];
          const list = ids.map(() => '?').join(', ');
          await this.run(`update ${this.t} set ${lease} where id in (${list})`, [...leaseParams, ...ids], tx);
          return this.all(`select * from ${this.t} where id in (${list})`, ids, tx);
        }, LOCK_FEW);
        break;
    }
    const claimed: ClaimedTask<T>[] = [];
    for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
      const task = {
        id: String(row.id),
        token,
        attempt: asNumber(row.attempts),
        maxAttempts: asNumber(row.max_attempts),
      };
      let payload: T;
      try {
        payload = this.definition.payloadOf(row);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await this.fail(
          { ...task, payload: undefined },
          `${this.definition.label} ${task.id} cannot be read (${reason}); correct its row, then retry it.`,
        );
        continue;
      }
      claimed.push({ ...task, payload });
    }
    return claimed;
  }

  /** Extends the lease (and stores progress, when given); false when the lease is no longer this token's. */
  async renew(task: ClaimedTask, leaseMs: number, progress?: number): Promise<boolean> {
    const setProgress = progress === undefined ? '' : ', progress = ?';
    const params =
      progress === undefined
        ? [leaseMs, leaseMs, task.id, task.token]
        : [leaseMs, leaseMs, progress, task.id, task.token];
    const changed = await this.run(
      `update ${this.t} set lease_until_ms = ${this.now} + ?, run_at_ms = ${this.now} + ?${setProgress}
       where id = ? and lease_token = ? and state = '${PROCESSING}'`,
      params,
    );
    return changed === 1;
  }

  /**
   * Writes some of the task's own columns (a finished stage, say) while this worker holds the
   * lease; false when it no longer does. Column names come from code, never from input.
   */
  async recordHeld(task: ClaimedTask, values: Record<string, string | number | null>): Promise<boolean> {
    const columns = Object.keys(values);
    const changed = await this.run(
      `update ${this.t} set ${columns.map((column) => `${column} = ?`).join(', ')} where id = ? and lease_token = ? and state = '${PROCESSING}'`,
      [...columns.map((column) => values[column]), task.id, task.token],
    );
    return changed === 1;
  }

  /**
   * Finishes a task: `work` writes the task's results inside the transaction that moves the task to
   * the history, and nothing commits unless the lease is still this token's (LeaseLostError).
   */
  async complete(task: ClaimedTask, work?: (tx: EntityManager) => Promise<void>): Promise<void> {
    if (!work) {
      if (!(await this.completeMany([task])).has(task.id)) throw new LeaseLostError(this.definition.queue, task.id);
      return;
    }
    await this.em.transactional(async (tx) => {
      // Writing first takes the row's lock (and SQLite's write lock) before anything else is read.
      const held = await this.run(
        `update ${this.t} set progress = 100 where id = ? and lease_token = ? and state = '${PROCESSING}'`,
        [task.id, task.token],
        tx,
      );
      if (held !== 1) throw new LeaseLostError(this.definition.queue, task.id);
      await work(tx);
      await this.moveToHistory(tx, [task.id]);
    });
  }

  /**
   * Finishes tasks that wrote nothing of their own, in one statement (two on MariaDB and SQLite,
   * in one transaction); returns the ids finished, which leaves out any whose lease was lost.
   */
  async completeMany(tasks: readonly ClaimedTask[]): Promise<Set<string>> {
    if (tasks.length === 0) return new Set();
    const rows = tasks.map(() => (this.kind === 'postgresql' ? '(cast(? as bigint), ?)' : '(?, ?)')).join(', ');
    // SQLite takes a list of row values only from a VALUES clause.
    const leased = `(id, lease_token) in (${this.kind === 'mariadb' ? rows : `values ${rows}`}) and state = '${PROCESSING}'`;
    const pairs = tasks.flatMap((task) => [task.id, task.token]);
    if (this.kind === 'postgresql') {
      const moved = await this.all(
        `with done as (delete from ${this.t} where ${leased} returning *) ${this.historyInsert()} from done returning id`,
        pairs,
      );
      return new Set(moved.map((row) => String(row.id)));
    }
    return this.em.transactional(
      async (tx) => {
        let ids: unknown[];
        if (this.kind === 'mariadb') {
          ids = (await this.all(`select id from ${this.t} where ${leased} for update`, pairs, tx)).map((row) => row.id);
        } else {
          // Writing first takes SQLite's write lock, so nothing changes between this and the read.
          await this.run(`update ${this.t} set progress = 100 where ${leased}`, pairs, tx);
          ids = (await this.all(`select id from ${this.t} where ${leased}`, pairs, tx)).map((row) => row.id);
        }
        await this.moveToHistory(tx, ids);
        return new Set(ids.map(String));
      },
      this.kind === 'mariadb' ? LOCK_FEW : {},
    );
  }

  /** `insert … select …` of finished tasks into the history; the caller adds the `from`. */
  private historyInsert(): string {
    const { historyTable, payloadColumns } = this.definition;
    const columns = ['id', ...payloadColumns, 'attempts', 'finished_by', 'finished_at_ms', 'created_at'];
    const values = ['id', ...payloadColumns, 'attempts', 'lease_owner', this.now, 'created_at'];
    return `insert into ${historyTable} (${columns.join(', ')}) select ${values.join(', ')}`;
  }

  /** Inside a transaction that holds the tasks' rows: copies them to the history and deletes them. */
  private async moveToHistory(tx: EntityManager, ids: readonly unknown[]): Promise<void> {
    if (ids.length === 0) return;
    const list = ids.map(() => '?').join(', ');
    await this.run(`${this.historyInsert()} from ${this.t} where id in (${list})`, [...ids], tx);
    await this.run(`delete from ${this.t} where id in (${list})`, [...ids], tx);
  }

  /**
   * Records a failed attempt: with `retryInMs` the task is claimable again after that delay,
   * without it (or on its last attempt) it stays failed for a person. False when the lease was lost.
   */
  async fail(task: ClaimedTask, error: string, retryInMs?: number): Promise<boolean> {
    const retry = retryInMs !== undefined && task.attempt < task.maxAttempts;
    const changed = await this.run(
      `update ${this.t} set state = '${FAILED}', last_error = ?, progress = null, ${NO_LEASE}, run_at_ms = ${retry ? `${this.now} + ?` : 'null'}
       where id = ? and lease_token = ? and state = '${PROCESSING}'`,
      retry ? [error.slice(0, 2000), retryInMs, task.id, task.token] : [error.slice(0, 2000), task.id, task.token],
    );
    return changed === 1;
  }

  /**
   * Gives a task back to wait for something outside it (`reason`, shown as its last error):
   * claimable again after `delayMs`, the attempt not counted. False when the lease was lost.
   */
  async defer(task: ClaimedTask, reason: string, delayMs: number): Promise<boolean> {
    const changed = await this.run(
      `update ${this.t} set state = '${PENDING}', attempts = attempts - 1, last_error = ?, progress = null, ${NO_LEASE}, run_at_ms = ${this.now} + ?
       where id = ? and lease_token = ? and state = '${PROCESSING}'`,
      [reason.slice(0, 2000), delayMs, task.id, task.token],
    );
    return changed === 1;
  }

  /** Gives a task back untouched (a worker shutting down): claimable at once, the attempt not counted. */
  async release(task: ClaimedTask): Promise<boolean> {
    const changed = await this.run(
      `update ${this.t} set state = '${PENDING}', attempts = attempts - 1, progress = null, ${NO_LEASE}, run_at_ms = ${this.now}
       where id = ? and lease_token = ? and state = '${PROCESSING}'`,
      [task.id, task.token],
    );
    return changed === 1;
  }

  /**
   * Tasks whose holder stopped renewing on their last attempt are never claimed again: marks them
   * failed so a person sees them. Returns how many.
   */
  async failAbandoned(): Promise<number> {
    const abandoned = `state = '${PROCESSING}' and run_at_ms <= ${this.now} and attempts >= max_attempts`;
    const set = `state = '${FAILED}', progress = null, ${NO_LEASE}, run_at_ms = null,
         last_error = 'The worker running the last attempt stopped (it crashed or lost its connection) before finishing.'`;
    if (this.kind !== 'mariadb') return this.run(`update ${this.t} set ${set} where ${abandoned}`, []);
    // MariaDB: a locking scan of the run_at index locks index entries before rows, the opposite of the
    // updates of one task by id (renew, cancel, fail, release, complete), and deadlocks with them. Every
    // worker runs this at every heartbeat, so find the candidates with a plain read and lock them by id.
    const ids = (await this.all(`select id from ${this.t} where ${abandoned}`, [])).map((row) => row.id);
    if (ids.length === 0) return 0;
    return this.run(`update ${this.t} set ${set} where id in (${ids.map(() => '?').join(', ')}) and ${abandoned}`, ids);
  }

  /** Stops a task that has not finished: its worker, if any, loses the lease at its next renewal. */
  async cancel(id: string, reason: string): Promise<void> {
    const changed = await this.run(
      `update ${this.t} set state = '${CANCELLED}', last_error = ?, progress = null, ${NO_LEASE}, run_at_ms = null
       where id = ? and state in ('${PENDING}', '${PROCESSING}', '${FAILED}')`,
      [reason.slice(0, 2000), id],
    );
    if (changed !== 1) await this.refuse(id, 'cancelled');
  }

  /** Queues a failed or cancelled task again, with its attempts counted from zero. */
  async retry(id: string): Promise<void> {
    const changed = await this.run(
      `update ${this.t} set state = '${PENDING}', attempts = 0, progress = null, ${NO_LEASE}, run_at_ms = ${this.now} where id = ? and state in ('${FAILED}', '${CANCELLED}')`,
      [id],
    );
    if (changed !== 1) await this.refuse(id, 'retried');
  }

  private async refuse(id: string, verb: string): Promise<never> {
    const { label, historyTable } = this.definition;
    const [live] = await this.all(`select state from ${this.t} where id = ?`, [id]);
    if (live)
      throw conflict(`${label} ${id} is ${String(live.state).toLowerCase()} and cannot be ${verb}.`, {
        reason: 'TASK_STATE',
        state: live.state,
      });
    const [done] = await this.all(`select id from ${historyTable} where id = ?`, [id]);
    if (done)
      throw conflict(`${label} ${id} has already succeeded and cannot be ${verb}.`, {
        reason: 'TASK_STATE',
        state: SUCCEEDED,
      });
    throw notFound(label, id);
  }

  /**
   * PostgreSQL plans the claim well only with statistics on the table: without them it sorts
   * the whole queue for every claim. Autovacuum gathers them within a minute or so of a burst;
   * this does it at once when many rows changed since (cheap: the table holds live tasks only).
   * True when it analyzed.
   */
  async refreshStatistics(): Promise<boolean> {
    if (this.kind !== 'postgresql') return false;
    const [stats] = await this.all(
      `select n_live_tup, n_mod_since_analyze, coalesce(last_analyze, last_autoanalyze) is null as never from pg_stat_user_tables where relid = cast(? as regclass)`,
      [this.t],
    );
    if (!stats) return false;
    const changed = asNumber(stats.n_mod_since_analyze);
    const stale = stats.never ? changed >= 100 : changed >= Math.max(1000, asNumber(stats.n_live_tup));
    if (stale) await this.run(`analyze ${this.t}`, []);
    return stale;
  }

  /** How much work is waiting, for metrics. */
  async depth(): Promise<QueueDepth> {
    const rows = await this.all(
      `select state, case when state = '${FAILED}' and run_at_ms is not null then 1 else 0 end as retrying, count(*) as n, min(created_at) as oldest, ${this.now} as now_ms
       from ${this.t} group by state, case when state = '${FAILED}' and run_at_ms is not null then 1 else 0 end`,
      [],
    );
    const depth: QueueDepth = { pending: 0, processing: 0, retrying: 0, stopped: 0, oldestPendingAgeMs: 0 };
    for (const row of rows) {
      const n = asNumber(row.n);
      if (row.state === PENDING) {
        depth.pending += n;
        depth.oldestPendingAgeMs = Math.max(0, asNumber(row.now_ms) - toTime(row.oldest));
      } else if (row.state === PROCESSING) depth.processing += n;
      else if (asNumber(row.retrying) === 1) depth.retrying += n;
      else depth.stopped += n;
    }
    return depth;
  }
}
