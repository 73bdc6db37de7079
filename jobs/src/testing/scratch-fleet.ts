import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { openDatabase } from '@learnhub/platform/database';
import { waitUntil } from '@learnhub/platform/testing';
import { createScratchTables, scratchQueue } from '@learnhub/platform/testing';
import type { TaskTableDefinition } from '@learnhub/platform/tasks';
import type { TestDatabase, TestDatabaseFactory } from '@learnhub/platform/testing';

/**
 * Helpers for the engine's multi-process tests: scratch-worker processes (`./scratch-worker`)
 * whose JSON output lines are collected, a scratch database with the `_starts`/`_effects`
 * tables the workers write in `record`/`hold` mode, and waits for their lines.
 */

/** A queue name no other run shares, since Redis channels and membership keys are shared by everyone on the server. */
export const uniqueQueueName = (prefix = 'sq') => `${prefix}_${randomBytes(4).toString('hex')}`;

const WORKER_SCRIPT = join(__dirname, 'scratch-worker.js');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ScratchWorkerOptions {
  /** WORKER_ID; also the lease owner. */
  id: string;
  /** `noop`, `record` or `hold:<ms>`. */
  work: string;
  concurrency?: number;
  leaseMs?: number;
  renewMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  graceMs?: number;
  /** REDIS_URL: membership and wake-ups in Redis. Unset: membership in the database, wake-ups by PostgreSQL or polling. */
  redisUrl?: string;
  /** REDIS_TIMEOUT_MS and REDIS_RETRY_MS: how long a Redis call may take, and how often an unreachable Redis is tried again. */
  redisTimeoutMs?: number;
  redisRetryMs?: number;
  logLevel?: string;
  retryBaseMs?: number;
}

/** One `scratch-worker` process; every JSON line it prints is kept in `lines`. */
export class ScratchWorkerProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  private output = '';
  private pending = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
  ) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.take(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
  }

  private take(chunk: string): void {
    this.output += chunk;
    this.pending += chunk;
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not one of ours; it stays in the raw output.
      }
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything it printed (stdout and stderr), for failure messages. */
  log(): string {
    return this.output;
  }

  /** The ids of the tasks it reported starting, in order. */
  started(): string[] {
    return this.lines.filter((l) => l.started !== undefined).map((l) => String(l.started));
  }

  /** The pino log lines whose message matches. */
  logged(message: RegExp): Array<Record<string, unknown>> {
    return this.lines.filter((l) => typeof l.msg === 'string' && message.test(l.msg));
  }

  async waitForLine(
    what: string,
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown>> {
    return waitUntil(
      `${this.id}: ${what}`,
      () => {
        const found = this.lines.find(predicate);
        if (found) return found;
        if (!this.running)
          throw new Error(
            `${this.id} exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}:\n${this.log()}`,
          );
        return undefined;
      },
      timeoutMs,
      () => this.log().slice(-4000),
      20,
    );
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** Sends `signal` and resolves with the exit code (null when killed by a signal); SIGKILLs it after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return (await this.exited).code;
    // A stopped (SIGSTOP) process acts on nothing but SIGKILL until it is continued.
    if (signal !== 'SIGKILL') process.kill(this.pid, 'SIGCONT');
    process.kill(this.pid, signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return (await this.exited).code;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A scratch queue in a fresh database of one kind, the tables the scratch workers record into,
 * and every worker process started on it; `close()` kills the processes still running and drops
 * the database (call it in an `after` hook: it is safe after a partial setup).
 */
export class ScratchRig {
  readonly workers: ScratchWorkerProcess[] = [];
  database?: TestDatabase;
  private openOrm?: MikroORM;
  private closed = false;

  /** The queue new workers work; `nextQueue()` moves to a fresh one. */
  queue: TaskTableDefinition = scratchQueue(uniqueQueueName());

  constructor(readonly factory: TestDatabaseFactory) {}

  get orm(): MikroORM {
    if (!this.openOrm) throw new Error('open() the rig first');
    return this.openOrm;
  }

  get url(): string {
    if (!this.database) throw new Error('open() the rig first');
    return this.database.url;
  }

  get knex() {
    return (this.orm.em as SqlEntityManager).getKnex();
  }

  /** Creates the database, the queue's tables (with `maxAttempts`) and `<queue>_starts` / `<queue>_effects`. */
  async open(maxAttempts = 3): Promise<this> {
    this.database = await this.factory.create();
    this.openOrm = await openDatabase({ url: this.database.url, entities: [], migrations: [] });
    await createScratchTables(this.orm.em, this.queue, maxAttempts);
    await createRecordTables(this.orm.em, this.queue.queue);
    return this;
  }

  /**
   * Stops (SIGKILL) the workers still running and moves to a fresh queue in the same database,
   * so the tests of one suite do not see each other's tasks or workers.
   */
  async nextQueue(maxAttempts = 3): Promise<TaskTableDefinition> {
    await Promise.allSettled(this.workers.map((w) => w.stop('SIGKILL')));
    this.queue = scratchQueue(uniqueQueueName());
    await createScratchTables(this.orm.em, this.queue, maxAttempts);
    await createRecordTables(this.orm.em, this.queue.queue);
    return this.queue;
  }

  /** Starts a worker and waits for its `ready` line. */
  async start(options: ScratchWorkerOptions): Promise<ScratchWorkerProcess> {
    const worker = this.spawn(options);
    await worker.waitForLine('ready', (l) => l.ready === options.id, 30_000);
    return worker;
  }

  spawn(options: ScratchWorkerOptions): ScratchWorkerProcess {
    // A test body that runs on past its timeout (after `close`) must not start a worker nobody stops.
    if (this.closed)
      throw new Error(
        `${options.id} was not started: the rig was closed already (its test ran on past its timeout or its cleanup).`,
      );
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.REDIS_URL;
    const set = (name: string, value: string | number | undefined) => {
      if (value !== undefined) env[name] = String(value);
    };
    set('SCRATCH_DATABASE_URL', this.url);
    set('SCRATCH_QUEUE', this.queue.queue);
    set('WORKER_ID', options.id);
    set('WORK', options.work);
    set('CONCURRENCY', options.concurrency);
    set('LEASE_MS', options.leaseMs);
    set('RENEW_MS', options.renewMs);
    set('HEARTBEAT_MS', options.heartbeatMs);
    set('POLL_MS', options.pollMs);
    set('GRACE_MS', options.graceMs);
    set('REDIS_URL', options.redisUrl);
    set('REDIS_TIMEOUT_MS', options.redisTimeoutMs);
    set('REDIS_RETRY_MS', options.redisRetryMs);
    set('LOG_LEVEL', options.logLevel ?? 'warn');
    set('RETRY_BASE_MS', options.retryBaseMs);
    const child = spawn(process.execPath, [WORKER_SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.on('error', () => undefined);
    const worker = new ScratchWorkerProcess(options.id, child);
    this.workers.push(worker);
    return worker;
  }

  /** Rows of `sql`, where `$t`, `$h`, `$s` and `$e` name the live, history, starts and effects tables. */
  rows(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    const q = this.queue;
    const text = sql
      .replaceAll('$t', q.table)
      .replaceAll('$h', q.historyTable)
      .replaceAll('$s', `${q.queue}_starts`)
      .replaceAll('$e', `${q.queue}_effects`);
    return this.orm.em.getConnection().execute(text, params, 'all');
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await this.rows(sql, params);
    return Number(Object.values(row)[0]);
  }

  /** A summary of the tables, for failure messages. */
  async describe(): Promise<string> {
    const counts = await Promise.all(
      ['$t', '$h', '$s', '$e'].map(
        async (t) => `${t}=${await this.count(`select count(*) as n from ${t}`).catch((e: Error) => e.message)}`,
      ),
    ).catch((e: Error) => [e.message]);
    const live = await this.rows(
      'select id, state, attempts, lease_owner, lease_until_ms, run_at_ms, last_error from $t order by id limit 20',
    ).catch(() => []);
    const workers = this.workers.map((w) => `--- ${w.id} (running=${w.running}):\n${w.log().slice(-1500)}`).join('\n');
    return `${counts.join(' ')}\nlive (first 20): ${JSON.stringify(live)}\n${workers}`;
  }

  /** Kills every worker still running (continuing stopped ones), refuses new ones, closes the connection and drops the database. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.workers.map((w) => w.stop('SIGKILL')));
    await this.openOrm?.close().catch(() => undefined);
    await this.database?.drop();
  }
}

/**
 * `<queue>_starts (task_id, worker_id, token)`, written when a scratch worker starts a task, and
 * `<queue>_effects (task_id, worker_id)`, written in its completing transaction. No unique
 * constraints: a duplicate start or a double write is counted, not rejected.
 */
export async function createRecordTables(em: EntityManager, queue: string): Promise<void> {
  const knex = (em as SqlEntityManager).getKnex();
  await knex.schema.createTable(`${queue}_starts`, (t) => {
    t.bigInteger('task_id').notNullable();
    t.string('worker_id', 64).notNullable();
    t.string('token', 64).notNullable();
  });
  await knex.schema.createTable(`${queue}_effects`, (t) => {
    t.bigInteger('task_id').notNullable();
    t.string('worker_id', 64).notNullable();
  });
}
