// `npm run bench` (jobs part): claim + complete throughput of no-op tasks on PostgreSQL, our jobs
// engine against graphile-worker on the same server, the same task count, the same number of
// worker processes and the same concurrency per process, in the same run, at least 5 times each.
// Goal: ours' median at least as fast as graphile-worker's median, ours' worst 4-worker run too
// (a stall while shards move shows there), and no task started twice.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { Knex, SqlEntityManager } from '@mikro-orm/knex';
import { Logger, makeWorkerUtils, runMigrations } from 'graphile-worker';
import { cpuSeconds, runBenchmark } from '@learnhub/platform/bench';
import { openDatabase } from '@learnhub/platform/database';
import { createScratchTables, enqueueScratch, scratchQueue } from '@learnhub/platform/testing';
import type { TestDatabase } from '@learnhub/platform/testing';
import { TaskTable } from '@learnhub/platform/tasks';
import { epochMs, freshPostgres, median, printTable, sleep } from '@learnhub/platform/bench';
import { BenchWorker } from './worker-processes';

const TASKS = Number(process.env.CLAIM_BENCH_TASKS ?? 5_000);
const CONCURRENCY = Number(process.env.CLAIM_BENCH_CONCURRENCY ?? 4);
const WORKER_COUNTS = [1, 4];
/** Runs per engine and worker count: enough for a median, and for a stall in one run to show as the worst. */
const REPEATS = Math.max(5, Number(process.env.CLAIM_BENCH_REPEATS ?? 5));
const POLL_EVERY_MS = 10;
/** Diagnostic: ANALYZE both engines' job tables after enqueueing, as autovacuum would eventually. */
const ANALYZE = process.env.CLAIM_BENCH_ANALYZE === '1';
const GOAL_RATIO = 1.0;

type Engine = 'ours' | 'graphile-worker';

interface RunResult {
  engine: Engine;
  workers: number;
  /** From telling the started workers to go until the parent saw the queue drained. */
  seconds: number;
  /** From go until the first task started, in any worker. */
  firstStartMs: number;
  starts: number;
  /** Tasks started more than once. */
  doubleClaims: number;
  /** Finished tasks whose attempt count says they were claimed more than once (ours only). */
  reclaimedInHistory?: number;
  /** Committed transactions per task on the database, from pg_stat_database (every statement outside a transaction is one). */
  transactionsPerTask: number;
  workerCpuMsPerTask: number;
  /** CPU time of the PostgreSQL backends serving the workers, when the server runs on this machine. */
  postgresCpuMsPerTask?: number;
  /** How many tasks each worker started, to show how evenly the work spread. */
  perWorker: number[];
  /** Ours only: the engine's claim and complete round trips, summed over the workers. */
  calls?: EngineCalls;
}

interface EngineCalls {
  claims: number;
  claimed: number;
  emptyClaims: number;
  claimMs: number;
  /** Batched completions (one statement each) and the tasks they finished. */
  completes: number;
  completed: number;
  completeMs: number;
  maxInFlightClaims: number;
}

const silent = new Logger(() => () => {});

function callSummary(c: EngineCalls): string {
  return (
    `${c.claims} claims (${c.emptyClaims} empty), ${(c.claimed / c.claims).toFixed(2)} tasks per claim, claim ${(c.claimMs / c.claims).toFixed(2)} ms, ` +
    `${c.completes} completion batches, ${(c.completed / c.completes).toFixed(2)} tasks per batch, ${(c.completeMs / c.completes).toFixed(2)} ms each on average, ` +
    `at most ${c.maxInFlightClaims} claim(s) in flight per worker`
  );
}

async function withOrm<T>(url: string, work: (orm: MikroORM) => Promise<T>): Promise<T> {
  const orm = await openDatabase({ url, entities: [], migrations: [] });
  try {
    return await work(orm);
  } finally {
    await orm.close();
  }
}

const query = (orm: MikroORM, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> =>
  orm.em.getConnection().execute(sql, params, 'all');

/** Committed transactions on the database so far; read on a connection of its own, closed at once so its own reads are counted later. */
async function committedTransactions(url: string): Promise<number> {
  return withOrm(url, async (orm) =>
    Number((await query(orm, 'select xact_commit as n from pg_stat_database where datname = current_database()'))[0].n),
  );
}

/** CPU seconds the server's backends for this database have used, or undefined when they are not processes on this machine. */
async function backendCpuSeconds(orm: MikroORM): Promise<number | undefined> {
  const rows = await query(
    orm,
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  let total = 0;
  for (const { pid } of rows) {
    const file = `/proc/${Number(pid)}/comm`;
    if (!existsSync(file) || !readFileSync(file, 'utf8').startsWith('postgres')) return undefined;
    total += cpuSeconds(Number(pid));
  }
  return total;
}

async function runOnce(
  engine: Engine,
  workers: number,
  dir: string,
  database: TestDatabase,
  round: string,
): Promise<RunResult> {
  const url = database.url;
  const queue = scratchQueue('bench');
  // Enqueue everything first (not timed).
  if (engine === 'ours') {
    await withOrm(url, async (orm) => {
      await createScratchTables(orm.em, queue);
      await enqueueScratch(orm.em, queue, TASKS);
      if (ANALYZE) await query(orm, `analyze ${queue.table}`);
    });
  } else {
    await runMigrations({ connectionString: url, logger: silent });
    const utils = await makeWorkerUtils({ connectionString: url, logger: silent });
    try {
      for (let start = 0; start < TASKS; start += 1000) {
        await utils.addJobs(
          Array.from({ length: Math.min(1000, TASKS - start) }, (_, i) => ({
            identifier: 'noop',
            payload: { n: start + i },
          })),
        );
      }
      if (ANALYZE) await utils.withPgClient((client) => client.query('analyze graphile_worker._private_jobs'));
    } finally {
      await utils.release();
    }
  }
  const drainedSql =
    engine === 'ours'
      ? `select count(*) as n from ${queue.historyTable}`
      : 'select count(*) as n from graphile_worker._private_jobs';
  const drained = (n: number) => (engine === 'ours' ? n >= TASKS : n === 0);

  const script = join(__dirname, engine === 'ours' ? 'claim-bench-worker.js' : 'graphile-bench-worker.js');
  const startsFiles = Array.from({ length: workers }, (_, i) => join(dir, `${round}-${engine}-${workers}-${i}.json`));
  const processes = await Promise.all(
    startsFiles.map((file, i) =>
      BenchWorker.start(script, {
        DATABASE_URL: url,
        SCRATCH_QUEUE: queue.queue,
        WORKER_ID: `bench-${round}-${i}`,
        CONCURRENCY: String(CONCURRENCY),
        STARTS_FILE: file,
      }),
    ),
  );
  try {
    const poll = await openDatabase({ url, entities: [], migrations: [] });
    let polls = 0;
    let postgresCpu: number | undefined;
    let seconds = 0;
    let workerCpu = 0;
    let goAt = 0;
    let transactionsBefore = 0;
    try {
      await query(poll, 'select 1');
      // What the workers and the poll connection did while starting reaches the statistics once they are idle for a second.
      await sleep(1_200);
      transactionsBefore = await committedTransactions(url);
      const postgresCpuBefore = await backendCpuSeconds(poll);
      const workerCpuBefore = processes.map((p) => cpuSeconds(p.pid));

      goAt = epochMs();
      for (const p of processes) p.send('go');
      for (;;) {
        polls++;
        const [{ n }] = await query(poll, drainedSql);
        if (drained(Number(n))) break;
        if (epochMs() - goAt > 300_000) throw new Error(`${engine} did not drain ${TASKS} tasks within 5 minutes`);
        if (processes.some((p) => p.child.exitCode !== null))
          throw new Error(`a worker died:\n${processes.map((p) => p.log()).join('\n')}`);
        await sleep(POLL_EVERY_MS);
      }
      seconds = (epochMs() - goAt) / 1000;
      workerCpu = processes.reduce((sum, p, i) => sum + cpuSeconds(p.pid) - workerCpuBefore[i], 0);
      const postgresCpuAfter = await backendCpuSeconds(poll);
      if (postgresCpuBefore !== undefined && postgresCpuAfter !== undefined)
        postgresCpu = postgresCpuAfter - postgresCpuBefore;
      await Promise.all(processes.map((p) => p.stop()));
      // (Backends of the stopped workers flush their statistics as they exit.)
    } finally {
      await poll.close();
    }
    await sleep(200);
    // Less the drain polls; what remains is the workers' (start-up, heartbeats, claims, completions, stop) and a handful of this benchmark's own reads.
    const transactionsDuring = (await committedTransactions(url)) - transactionsBefore - polls;

    const recorded = startsFiles.map(
      (file) =>
        JSON.parse(readFileSync(file, 'utf8')) as { starts: string[]; firstStartMs?: number; calls?: EngineCalls },
    );
    let calls: EngineCalls | undefined;
    for (const r of recorded) {
      if (!r.calls) continue;
      const c = r.calls;
      calls = calls
        ? {
            claims: calls.claims + c.claims,
            claimed: calls.claimed + c.claimed,
            emptyClaims: calls.emptyClaims + c.emptyClaims,
            claimMs: calls.claimMs + c.claimMs,
            completes: calls.completes + c.completes,
            completed: calls.completed + c.completed,
            completeMs: calls.completeMs + c.completeMs,
            maxInFlightClaims: Math.max(calls.maxInFlightClaims, c.maxInFlightClaims),
          }
        : { ...c };
    }
    const counts = new Map<string, number>();
    for (const { starts } of recorded) for (const id of starts) counts.set(id, (counts.get(id) ?? 0) + 1);
    const firstStart = Math.min(...recorded.map((r) => r.firstStartMs ?? Infinity));
    let reclaimedInHistory: number | undefined;
    if (engine === 'ours') {
      reclaimedInHistory = await withOrm(url, async (orm) =>
        Number((await query(orm, `select count(*) as n from ${queue.historyTable} where attempts > 1`))[0].n),
      );
    }
    return {
      engine,
      workers,
      seconds,
      firstStartMs: firstStart - goAt,
      starts: recorded.reduce((sum, r) => sum + r.starts.length, 0),
      doubleClaims: [...counts.values()].filter((n) => n > 1).length,
      reclaimedInHistory,
      transactionsPerTask: transactionsDuring / TASKS,
      workerCpuMsPerTask: (workerCpu * 1000) / TASKS,
      postgresCpuMsPerTask: postgresCpu === undefined ? undefined : (postgresCpu * 1000) / TASKS,
      perWorker: recorded.map((r) => r.starts.length),
      calls,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop().catch(() => p.child.kill('SIGKILL'))));
  }
}

const PROFILE_CALLS = 300;

interface ClaimProfile {
  plan: string;
  planningMs: number;
  executionMs: number;
  claimMs: number;
  completeMs: number;
}

/** The scan nodes of an EXPLAIN (FORMAT JSON) plan, outermost first ("Seq Scan on bench_tasks", …). */
function scans(node: Record<string, unknown>): string[] {
  const own =
    String(node['Node Type']).includes('Scan') && node['Relation Name']
      ? [`${String(node['Node Type'])} on ${String(node['Relation Name'])}`]
      : [];
  const sort = node['Node Type'] === 'Sort' ? ['Sort'] : [];
  return [...own, ...sort, ...((node.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap(scans)];
}

/**
 * Ours, one statement at a time on one connection, on a queue of TASKS fresh tasks: the claim
 * statement's plan and server time (EXPLAIN ANALYZE of the very SQL TaskTable sends, rolled back),
 * then PROFILE_CALLS claim(1) + complete round trips; once as enqueued (no statistics on the new
 * rows, as after any burst of enqueues until autovacuum's next ANALYZE), once after ANALYZE.
 */
async function profileOurs(): Promise<{ fresh: ClaimProfile; analyzed: ClaimProfile } | undefined> {
  const database = await freshPostgres();
  if ('skipped' in database) return undefined;
  try {
    return await withOrm(database.url, async (orm) => {
      const queue = scratchQueue('bench');
      await createScratchTables(orm.em, queue);
      await enqueueScratch(orm.em, queue, TASKS);
      const em = orm.em.fork();
      const connection = em.getConnection();
      let captured: { sql: string; params: unknown[] } | undefined;
      const execute = connection.execute.bind(connection);
      connection.execute = ((sql: string, params: unknown[] = [], ...rest: unknown[]) => {
        if (/^\s*(with|update)\b/i.test(sql) && /skip locked/i.test(sql)) captured = { sql, params };
        return (execute as (...args: unknown[]) => unknown)(sql, params, ...rest);
      }) as typeof connection.execute;
      const table = new TaskTable(em, queue);
      const shard = { index: 0, total: 1 };
      const measure = async (): Promise<ClaimProfile> => {
        await table.claim('profiler', shard, 1, 60_000);
        if (!captured)
          throw new Error(
            'the claim statement was not seen: TaskTable.claim on PostgreSQL no longer starts with "update" or "with" and locks with "skip locked"',
          );
        const { sql, params } = captured;
        const explained = await explainOnce(orm, sql, params);
        const plan = (explained['QUERY PLAN'] as Record<string, unknown>[])[0];
        const claimTimes: number[] = [];
        const completeTimes: number[] = [];
        for (let i = 0; i < PROFILE_CALLS; i++) {
          let started = performance.now();
          const [task] = await table.claim('profiler', shard, 1, 60_000);
          claimTimes.push(performance.now() - started);
          started = performance.now();
          await table.complete(task);
          completeTimes.push(performance.now() - started);
        }
        return {
          plan: scans(plan.Plan as Record<string, unknown>).join(' → '),
          planningMs: Number(plan['Planning Time']),
          executionMs: Number(plan['Execution Time']),
          claimMs: median(claimTimes),
          completeMs: median(completeTimes),
        };
      };
      const fresh = await measure();
      await query(orm, `analyze ${queue.table}`);
      const analyzed = await measure();
      return { fresh, analyzed };
    });
  } finally {
    await database.drop();
  }
}

/** EXPLAIN ANALYZE of a statement inside a transaction that is rolled back, so it changes nothing. */
async function explainOnce(orm: MikroORM, sql: string, params: unknown[]): Promise<Record<string, unknown>> {
  const knex = (orm.em as SqlEntityManager).getKnex();
  const trx = await knex.transaction();
  trx.executionPromise.catch(() => undefined);
  try {
    const result = (await trx.raw(`explain (analyze, format json) ${sql}`, params as Knex.RawBinding[])) as {
      rows: Record<string, unknown>[];
    };
    return result.rows[0];
  } finally {
    await trx.rollback();
  }
}

runBenchmark('claim-throughput', async ({ dir }) => {
  console.log(
    `Claim throughput benchmark: ${TASKS} no-op tasks per run on PostgreSQL, ${WORKER_COUNTS.join(' and ')} worker processes × concurrency ${CONCURRENCY} each, ` +
      `ours vs graphile-worker, ${REPEATS} runs of each (alternating which goes first); the median and the worst run shown.\n` +
      'Each run: a fresh database, every task enqueued before the workers start (not timed), the worker processes started and ready, then timed from "go" until the queue is drained ' +
      `(ours: all ${TASKS} in the history table; graphile-worker: its _private_jobs table empty), polled every ${POLL_EVERY_MS} ms.\n` +
      "Both engines at their defaults but for the concurrency and logging (warnings only): ours with the jobs process's JOBS_* defaults (heartbeat 5 s, poll 1 s), " +
      'graphile-worker 0.17 with its own (poll 2 s, prepared statements, no local queue or batched completion). ' +
      `Each worker records the ids it starts in memory; double claims = ids started more than once. ${ANALYZE ? 'CLAIM_BENCH_ANALYZE=1: both job tables ANALYZEd after enqueueing.' : 'The job tables are not ANALYZEd after enqueueing (CLAIM_BENCH_ANALYZE=1 does).'}\n`,
  );
  const probe = await freshPostgres();
  if ('skipped' in probe) {
    console.log(`Claim throughput on PostgreSQL: skipped: ${probe.skipped}.`);
    return;
  }
  await probe.drop();

  const results: RunResult[] = [];
  for (const workers of WORKER_COUNTS) {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const order: Engine[] = repeat % 2 === 0 ? ['ours', 'graphile-worker'] : ['graphile-worker', 'ours'];
      for (const engine of order) {
        const database = await freshPostgres();
        if ('skipped' in database) throw new Error(database.skipped);
        try {
          const result = await runOnce(engine, workers, dir, database, `r${repeat}`);
          results.push(result);
          console.log(
            `  ${engine.padEnd(15)} ${workers} worker(s), run ${repeat + 1}: ${result.seconds.toFixed(2)} s, ${Math.round(TASKS / result.seconds)} tasks/s ` +
              `(first start after ${result.firstStartMs.toFixed(0)} ms; tasks per worker ${result.perWorker.join('/')}` +
              (result.calls ? `; ${callSummary(result.calls)})` : ')'),
          );
        } finally {
          await database.drop();
        }
      }
    }
  }

  const runsOf = (engine: Engine, workers: number) =>
    results.filter((r) => r.engine === engine && r.workers === workers).sort((a, b) => a.seconds - b.seconds);
  /** The median run (the slower of the middle two for an even count) and the slowest. */
  const medianRun = (engine: Engine, workers: number) => {
    const runs = runsOf(engine, workers);
    return runs[Math.floor(runs.length / 2)];
  };
  const worstRun = (engine: Engine, workers: number) => runsOf(engine, workers).at(-1)!;
  const doubles = (engine: Engine, workers: number) =>
    runsOf(engine, workers).reduce((sum, r) => sum + r.doubleClaims, 0);
  const rows: string[][] = [];
  const worstRatios: number[] = [];
  for (const workers of WORKER_COUNTS) {
    const theirMedian = median(runsOf('graphile-worker', workers).map((r) => r.seconds));
    for (const engine of ['ours', 'graphile-worker'] as const) {
      const runs = runsOf(engine, workers);
      const medianSeconds = median(runs.map((r) => r.seconds));
      const worst = worstRun(engine, workers);
      const typical = medianRun(engine, workers);
      if (engine === 'ours') worstRatios.push(theirMedian / worst.seconds);
      rows.push([
        engine,
        String(workers),
        medianSeconds.toFixed(2),
        worst.seconds.toFixed(2),
        String(Math.round(TASKS / medianSeconds)),
        String(Math.round(TASKS / worst.seconds)),
        (theirMedian / medianSeconds).toFixed(2),
        (theirMedian / worst.seconds).toFixed(2),
        String(doubles(engine, workers)),
        typical.calls ? String(typical.calls.emptyClaims) : '',
        worst.calls ? String(worst.calls.emptyClaims) : '',
        typical.firstStartMs.toFixed(0),
        typical.transactionsPerTask.toFixed(2),
        typical.workerCpuMsPerTask.toFixed(3),
        typical.postgresCpuMsPerTask === undefined ? 'n/a' : typical.postgresCpuMsPerTask.toFixed(3),
      ]);
    }
  }
  console.log(
    `\n${TASKS} tasks per run, ${REPEATS} runs per engine and worker count; ratios are against graphile-worker's median of the same worker count (higher is better for ours):`,
  );
  printTable(
    [
      'engine',
      'workers',
      'median s',
      'worst s',
      'median tasks/s',
      'worst tasks/s',
      'median ratio',
      'worst ratio',
      'double claims',
      'empty claims (median run)',
      'empty claims (worst run)',
      'first start ms',
      'xacts/task',
      'worker CPU ms/task',
      'PG CPU ms/task',
    ],
    rows,
  );
  const reclaimed = results.filter((r) => r.engine === 'ours').reduce((sum, r) => sum + (r.reclaimedInHistory ?? 0), 0);
  const allDoubles = results.reduce((sum, r) => sum + r.doubleClaims, 0);
  const missing = results.filter((r) => r.starts < TASKS);
  console.log(
    `\nDouble claims are counted over all ${results.length} runs (tasks whose id was started more than once, from ids each worker recorded in memory); ` +
      `ours' history also shows ${reclaimed} task(s) finished with more than one attempt.${missing.length ? ` ${missing.length} run(s) started fewer tasks than were queued!` : ''}`,
  );
  console.log(
    'xacts/task: committed transactions on the database per task while the workers ran (start-up, heartbeats, claims, completions, stop), from pg_stat_database. ' +
      'CPU: user + system time of the worker processes and of their PostgreSQL backends (from /proc), per task.',
  );
  const one = medianRun('ours', WORKER_COUNTS[0]);
  if (one.calls) {
    const c = one.calls;
    console.log(
      `Ours, median ${WORKER_COUNTS[0]}-worker run: ${callSummary(c)}; the claims kept the worker's one claimer busy ` +
        `${((c.claimMs / 1000 / one.seconds) * 100).toFixed(0)}% of the run (QueueWorker.fill runs one claim at a time per worker; a slot takes its next task as soon as the previous one's work returns, while the completion joins a batch).`,
    );
  }
  const profile = await profileOurs();
  if (profile) {
    console.log(
      `\nOurs one statement at a time on one connection, ${TASKS} queued tasks, ${PROFILE_CALLS} claim(1) + complete round trips, medians:`,
    );
    printTable(
      ['table statistics', 'claim plan (EXPLAIN ANALYZE)', 'planning ms', 'execution ms', 'claim ms', 'complete ms'],
      (
        [
          ['none yet (as enqueued)', profile.fresh],
          ['after ANALYZE', profile.analyzed],
        ] as const
      ).map(([name, p]) => [
        name,
        p.plan,
        p.planningMs.toFixed(2),
        p.executionMs.toFixed(2),
        p.claimMs.toFixed(2),
        p.completeMs.toFixed(2),
      ]),
    );
  }
  const medianRatios = WORKER_COUNTS.map(
    (workers) =>
      median(runsOf('graphile-worker', workers).map((r) => r.seconds)) /
      median(runsOf('ours', workers).map((r) => r.seconds)),
  );
  const fleet = WORKER_COUNTS.indexOf(Math.max(...WORKER_COUNTS));
  const met =
    medianRatios.every((ratio) => ratio >= GOAL_RATIO) && worstRatios[fleet] >= GOAL_RATIO && allDoubles === 0;
  console.log(
    `\nGoal: ours' median ≥ ${GOAL_RATIO.toFixed(1)} × graphile-worker's median at every worker count, ours' worst ${WORKER_COUNTS[fleet]}-worker run ≥ ${GOAL_RATIO.toFixed(1)} × their median ` +
      `(a stall while shards move shows there), 0 double claims: ${met ? 'met' : 'NOT met'} ` +
      `(${WORKER_COUNTS.map((w, i) => `${w} worker(s): median ${medianRatios[i].toFixed(2)}, worst ${worstRatios[i].toFixed(2)}`).join('; ')}; double claims ${allDoubles}).`,
  );
});
