// `npm run bench` (jobs part): how soon a queued task starts. An in-process JobsEngine whose poll is
// too slow to matter (so the wake-up message starts each task), fed one task at a time by an
// enqueuer on its own connection: PostgreSQL LISTEN/NOTIFY; SQLite's file wake-up (a write to a
// watched file beside the database); and, for contrast, SQLite with wake-ups switched off, where
// the default 1 s poll starts tasks. Redis pub/sub now only serves MariaDB, which the jobs
// benchmarks have no fresh-database helper for, so it is not measured here.
// Goal: p50 < 10 ms.
import { join } from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { Registry } from 'prom-client';
import { runBenchmark } from '@learnhub/platform/bench';
import { readConfig } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { createLogger, type Logger } from '@learnhub/platform/logger';
import { createScratchTables, scratchQueue } from '@learnhub/platform/testing';
import { TaskTable } from '@learnhub/platform/tasks';
import { processorLeaseOf } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { JobsEngine } from '../engine/jobs-engine';
import type { QueueProcessor } from '@learnhub/platform/tasks';
import { freshPostgres, percentile, printTable, sleep } from '@learnhub/platform/bench';

const SAMPLES = Number(process.env.WAKE_BENCH_SAMPLES ?? 200);
const POLL_SAMPLES = Number(process.env.WAKE_BENCH_POLL_SAMPLES ?? 40);
/** Unmeasured samples first (connections, JIT); fewer on the poll, where each takes half a second. */
const WARM_UP = 10;
const POLL_WARM_UP = 2;
/** The engine's poll while wake-ups are measured: long enough never to be what starts a task. */
const WAKEUP_POLL_MS = 600_000;
const MISSED_AFTER_MS = 5_000;
const GOAL_P50_MS = 10;

interface Transport {
  name: string;
  url: string;
  /** Both the engine's and the enqueuer's wake-up; by default the one TaskWakeup.for picks for `url`. */
  wakeup?: (log: Logger) => TaskWakeup;
  pollMs: number;
  samples: number;
  warmUp: number;
  /** Milliseconds to wait between a task's start and the next enqueue. */
  gap(): number;
}

interface Measured {
  name: string;
  samples: number[];
  /** From just before the insert until it had committed and the wake-up was sent. */
  enqueue: number[];
  missed: number;
}

async function measure(transport: Transport): Promise<Measured> {
  const log = createLogger('wake-bench', 'warn');
  const jobs = readConfig().jobs;
  const queue = scratchQueue('wake');
  const workerOrm = await openDatabase({ url: transport.url, entities: [], migrations: [] });
  // The enqueuer has its own connection (and its own wake-up client), as the media subgraph does.
  const enqueuerOrm: MikroORM = await openDatabase({ url: transport.url, entities: [], migrations: [] });
  await createScratchTables(enqueuerOrm.em, queue);

  const starts = new Map<string, number>();
  let onStart: ((payload: string) => void) | undefined;
  const processor: QueueProcessor<string> = {
    table: new TaskTable(workerOrm.em.fork(), queue),
    concurrency: 4,
    lease: processorLeaseOf(jobs),
    async process(task) {
      const now = performance.now();
      const { payload } = task;
      starts.set(payload, now);
      onStart?.(payload);
    },
  };
  const wakeup = transport.wakeup ?? ((logger: Logger) => TaskWakeup.for(transport.url, undefined, logger));
  const listening = wakeup(log);
  const engine = new JobsEngine(
    {
      workerId: 'wake-bench',
      heartbeatMs: jobs.heartbeatMs,
      memberTtlMs: jobs.heartbeatMs * 3,
      pollMs: transport.pollMs,
      groupPrefix: 'wake-bench:',
    },
    [processor],
    [],
    [listening],
    new Registry(),
    log,
  );
  const notifying = wakeup(log);
  const result: Measured = { name: transport.name, samples: [], enqueue: [], missed: 0 };
  await engine.start();
  try {
    const em = enqueuerOrm.em.fork();
    const insert = (tx: EntityManager, payload: string) =>
      tx
        .getConnection()
        .execute(
          `insert into ${queue.table} (payload, state, attempts, run_at_ms, created_at) values (?, 'PENDING', 0, 0, ?)`,
          [payload, Date.now()],
          'run',
          tx.getTransactionContext(),
        );
    for (let i = 0; i < transport.warmUp + transport.samples; i++) {
      const payload = `task-${i}`;
      const started = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), MISSED_AFTER_MS);
        onStart = (seen) => {
          if (seen !== payload) return;
          clearTimeout(timer);
          resolve(true);
        };
      });
      const before = performance.now();
      // As a merge does: the task's row commits, then the wake-up goes out (NOTIFY on PostgreSQL, a file write on SQLite, or nothing).
      await insert(em, payload);
      await notifying.notify(queue.queue);
      const enqueued = performance.now();
      const ok = await started;
      if (!ok) {
        // Missed: the wake-up never arrived. Start it by hand so the next sample begins clean.
        engine.wake(queue.queue);
        while (!starts.has(payload)) await sleep(10);
      }
      if (i >= transport.warmUp) {
        if (ok) {
          result.samples.push(starts.get(payload)! - before);
          result.enqueue.push(enqueued - before);
        } else result.missed++;
      }
      await sleep(transport.gap());
    }
  } finally {
    onStart = undefined;
    await engine.stop(5_000);
    await Promise.all([workerOrm.close(), enqueuerOrm.close(), listening.close(), notifying.close()]);
  }
  return result;
}

runBenchmark('wake-latency', async ({ dir }) => {
  const smallGap = () => 5 + Math.random() * 20;
  console.log(
    `Wake-up latency benchmark: one no-op task at a time, timed from just before the enqueuing insert (performance.now()) until the processor starts it (performance.now()), ` +
      `in one process: an in-process JobsEngine (concurrency 4, poll ${WAKEUP_POLL_MS / 60_000} min so only wake-ups start tasks) and an enqueuer on its own connection. ` +
      `${SAMPLES} samples per wake-up transport with 5-25 ms random gaps, after ${WARM_UP} unmeasured ones; a task not started within ${MISSED_AFTER_MS / 1000} s counts as missed. ` +
      'The enqueuer inserts the row (committed) and then calls TaskWakeup.notify, as a merge does.\n',
  );
  const measured: Measured[] = [];
  const skipped: string[] = [];

  const postgres = await freshPostgres();
  if ('skipped' in postgres) skipped.push(`PostgreSQL LISTEN/NOTIFY: skipped: ${postgres.skipped}.`);
  else {
    try {
      measured.push(
        await measure({
          name: 'PostgreSQL LISTEN/NOTIFY',
          url: postgres.url,
          pollMs: WAKEUP_POLL_MS,
          samples: SAMPLES,
          warmUp: WARM_UP,
          gap: smallGap,
        }),
      );
    } finally {
      await postgres.drop();
    }
  }

  measured.push(
    await measure({
      name: 'SQLite file wake-up (fs.watch)',
      url: `sqlite:${join(dir, 'wake-file.sqlite')}`,
      pollMs: WAKEUP_POLL_MS,
      samples: SAMPLES,
      warmUp: WARM_UP,
      gap: smallGap,
    }),
  );

  const pollMs = readConfig().jobs.pollMs;
  // Gaps spread over a whole poll period, so enqueues fall anywhere between two polls.
  measured.push(
    await measure({
      name: `SQLite, poll every ${pollMs} ms (no wake-up)`,
      url: `sqlite:${join(dir, 'wake-poll.sqlite')}`,
      // SQLite would pick its file wake-up: switch wake-ups off so only the poll starts tasks.
      wakeup: () => TaskWakeup.pollOnly(),
      pollMs,
      samples: POLL_SAMPLES,
      warmUp: POLL_WARM_UP,
      gap: () => Math.random() * pollMs,
    }),
  );

  for (const line of skipped) console.log(line);
  if (skipped.length) console.log('');
  printTable(
    ['transport', 'samples', 'p50 ms', 'p95 ms', 'max ms', 'missed', 'enqueue p50 ms', 'p50 vs goal'],
    measured.map((m) => {
      const sorted = [...m.samples].sort((a, b) => a - b);
      const enqueue = [...m.enqueue].sort((a, b) => a - b);
      return [
        m.name,
        String(m.samples.length),
        percentile(sorted, 50).toFixed(2),
        percentile(sorted, 95).toFixed(2),
        sorted.at(-1)!.toFixed(2),
        String(m.missed),
        percentile(enqueue, 50).toFixed(2),
        (percentile(sorted, 50) / GOAL_P50_MS).toFixed(2),
      ];
    }),
  );
  console.log(
    `\n"enqueue" is the enqueuer's own part of the latency (the insert, its commit and sending the wake-up); the poll row's gaps are random over a whole poll period, ${POLL_SAMPLES} samples.`,
  );
  const wakeups = measured.filter((m) => !m.name.includes('poll'));
  if (wakeups.length === 0)
    console.log(`Goal p50 < ${GOAL_P50_MS} ms: not measured (no wake-up transport was reachable).`);
  for (const m of wakeups) {
    const p50 = percentile(
      [...m.samples].sort((a, b) => a - b),
      50,
    );
    console.log(
      `Goal p50 < ${GOAL_P50_MS} ms on ${m.name}: ${p50 < GOAL_P50_MS && m.missed === 0 ? 'met' : 'NOT met'} (${p50.toFixed(2)} ms, ${m.missed} missed).`,
    );
  }
});
