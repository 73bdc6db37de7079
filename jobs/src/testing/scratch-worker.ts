import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { openDatabase } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { scratchQueue } from '@learnhub/platform/testing';
import { TaskTable, type ClaimedTask } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { JobsEngine } from '../engine/jobs-engine';
import type { QueueProcessor, TaskContext } from '@learnhub/platform/tasks';

/**
 * A jobs worker process over a scratch queue, for the engine's multi-process tests and its
 * benchmark. Settings come from the environment:
 *   SCRATCH_DATABASE_URL, SCRATCH_QUEUE, WORKER_ID, CONCURRENCY, LEASE_MS, RENEW_MS,
 *   HEARTBEAT_MS, POLL_MS, REDIS_URL (membership and wake-ups), REDIS_TIMEOUT_MS, REDIS_RETRY_MS, GRACE_MS,
 *   WORK: `noop` (finish at once), `record` (log each start in `<queue>_starts`, then finish
 *   writing `<queue>_effects` in the completing transaction), or `hold:<ms>` (like record, but
 *   first wait that long, ignoring the abort signal, as a hung worker would).
 */
async function main(): Promise<void> {
  const env = process.env;
  const number = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  const url = env.SCRATCH_DATABASE_URL!;
  const queue = scratchQueue(env.SCRATCH_QUEUE ?? 'scratch');
  const workerId = env.WORKER_ID ?? `scratch-${process.pid}`;
  const work = env.WORK ?? 'noop';
  const holdMs = work.startsWith('hold:') ? Number(work.slice(5)) : 0;
  const log = createLogger('scratch-worker', env.LOG_LEVEL ?? 'warn');
  const orm = await openDatabase({ url, entities: [], migrations: [] });
  const table = new TaskTable(orm.em.fork(), queue);
  const run = (sql: string, params: unknown[], em = orm.em) =>
    em.getConnection().execute(sql, params, 'run', em.getTransactionContext());

  const processor: QueueProcessor = {
    table,
    concurrency: number('CONCURRENCY', 4),
    lease: {
      leaseMs: number('LEASE_MS', 60_000),
      renewEveryMs: number('RENEW_MS', 15_000),
      backoff: { baseMs: number('RETRY_BASE_MS', 100), maxMs: 10_000 },
    },
    async process(task: ClaimedTask, context: TaskContext) {
      if (work === 'noop') return;
      await run(`insert into ${queue.queue}_starts (task_id, worker_id, token) values (?, ?, ?)`, [
        task.id,
        workerId,
        task.token,
      ]);
      process.stdout.write(`${JSON.stringify({ started: task.id, workerId })}\n`);
      if (holdMs) await sleep(holdMs);
      await context.complete(async (tx) => {
        await run(`insert into ${queue.queue}_effects (task_id, worker_id) values (?, ?)`, [task.id, workerId], tx);
      });
    },
  };
  const redis = env.REDIS_URL
    ? { url: env.REDIS_URL, timeoutMs: number('REDIS_TIMEOUT_MS', 500), retryMs: number('REDIS_RETRY_MS', 2_000) }
    : undefined;
  const wakeup = TaskWakeup.for(url, redis, log);
  const engine = new JobsEngine(
    {
      workerId,
      heartbeatMs: number('HEARTBEAT_MS', 500),
      memberTtlMs: number('HEARTBEAT_MS', 500) * 3,
      pollMs: number('POLL_MS', 200),
      groupPrefix: `${queue.queue}:`,
      redis,
    },
    [processor],
    [],
    [wakeup],
    new Registry(),
    log,
  );
  await engine.start();
  process.stdout.write(`${JSON.stringify({ ready: workerId })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void engine
      .stop(number('GRACE_MS', 5_000))
      .then(() => Promise.all([orm.close(), wakeup.close()]))
      .then(() => {
        process.stdout.write(`${JSON.stringify({ stopped: workerId })}\n`);
        process.exit(0);
      });
  };
  process.once('SIGTERM', stop);
  // stdin is a pipe from the test's process: its end means that process is gone (even killed with -9), and nobody would stop this one.
  process.stdin.on('end', stop).on('error', stop).resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`scratch worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
