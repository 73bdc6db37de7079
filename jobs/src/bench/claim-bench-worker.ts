import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Registry } from 'prom-client';
import { readConfig } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { scratchQueue } from '@learnhub/platform/testing';
import { TaskTable } from '@learnhub/platform/tasks';
import { processorLeaseOf } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { JobsEngine } from '../engine/jobs-engine';
import type { QueueProcessor } from '@learnhub/platform/tasks';
import { epochMs } from '@learnhub/platform/bench';

/**
 * Our side of the claim-throughput benchmark: a jobs worker process over a scratch queue of no-op
 * tasks, like `testing/scratch-worker` with WORK=noop, that remembers the id of every task it
 * starts (in memory: recording must not add database work the other engine does not do) and
 * starts its engine only when told, so process start-up stays out of the timing.
 *
 * Environment: DATABASE_URL, SCRATCH_QUEUE, WORKER_ID, CONCURRENCY, STARTS_FILE; the engine's
 * timings are the jobs process's defaults (JOBS_HEARTBEAT_MS, JOBS_POLL_MS, JOBS_LEASE_MS, JOBS_RENEW_MS).
 * Protocol: prints `{"ready":…}`; reads `go` (start the engine) and `stop` (stop it, write
 * `{workerId, starts, firstStartMs, calls}` to STARTS_FILE, exit) on stdin. `calls` counts and
 * times the engine's claims and batched completions.
 */
async function main(): Promise<void> {
  const env = process.env;
  const url = env.DATABASE_URL!;
  const jobs = readConfig().jobs;
  const queue = scratchQueue(env.SCRATCH_QUEUE ?? 'scratch');
  const workerId = env.WORKER_ID ?? `claim-bench-${process.pid}`;
  const log = createLogger('claim-bench-worker', env.LOG_LEVEL ?? 'warn');
  const orm = await openDatabase({ url, entities: [], migrations: [] });
  const starts: string[] = [];
  let firstStartMs: number | undefined;

  // Round trips as the engine makes them, timed around the table's own methods (two clock reads a call).
  const table = new TaskTable(orm.em.fork(), queue);
  const calls = {
    claims: 0,
    claimed: 0,
    emptyClaims: 0,
    claimMs: 0,
    completes: 0,
    completed: 0,
    completeMs: 0,
    maxInFlightClaims: 0,
  };
  let claimsInFlight = 0;
  const claim = table.claim.bind(table);
  table.claim = async (...args) => {
    const started = performance.now();
    calls.maxInFlightClaims = Math.max(calls.maxInFlightClaims, ++claimsInFlight);
    try {
      const tasks = await claim(...args);
      calls.claims++;
      calls.claimed += tasks.length;
      if (tasks.length === 0) calls.emptyClaims++;
      return tasks;
    } finally {
      claimsInFlight--;
      calls.claimMs += performance.now() - started;
    }
  };
  const completeMany = table.completeMany.bind(table);
  table.completeMany = async (tasks) => {
    const started = performance.now();
    try {
      return await completeMany(tasks);
    } finally {
      calls.completes++;
      calls.completed += tasks.length;
      calls.completeMs += performance.now() - started;
    }
  };

  const processor: QueueProcessor = {
    table,
    concurrency: Number(env.CONCURRENCY ?? 4),
    lease: processorLeaseOf(jobs),
    async process(task) {
      firstStartMs ??= epochMs();
      starts.push(task.id);
    },
  };
  const wakeup = TaskWakeup.for(url, undefined, log);
  const engine = new JobsEngine(
    {
      workerId,
      heartbeatMs: jobs.heartbeatMs,
      memberTtlMs: jobs.heartbeatMs * 3,
      pollMs: jobs.pollMs,
      groupPrefix: `${queue.queue}:`,
    },
    [processor],
    [],
    [wakeup],
    new Registry(),
    log,
  );

  let state: 'ready' | 'running' | 'stopping' = 'ready';
  const stop = async () => {
    if (state === 'stopping') return;
    const wasRunning = state === 'running';
    state = 'stopping';
    if (wasRunning) await engine.stop(5_000);
    await Promise.all([orm.close(), wakeup.close()]);
    if (env.STARTS_FILE) writeFileSync(env.STARTS_FILE, JSON.stringify({ workerId, starts, firstStartMs, calls }));
    process.stdout.write(`${JSON.stringify({ stopped: workerId })}\n`);
    process.exit(0);
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'go' && state === 'ready') {
      state = 'running';
      engine.start().catch((error: unknown) => {
        process.stderr.write(`engine failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      });
    } else if (line === 'stop') void stop();
  });
  process.once('SIGTERM', () => void stop());
  process.stdout.write(`${JSON.stringify({ ready: workerId })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`claim bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
