import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { openDatabase } from '@learnhub/platform/database';
import { waitUntil } from '@learnhub/platform/testing';
import { sqlChanges } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { TaskTable } from '@learnhub/platform/tasks';
import { backendUrl } from '@learnhub/platform/testing';
import { createScratchTables, enqueueScratch, scratchQueue } from '@learnhub/platform/testing';
import { TcpProxy } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { ScratchRig, sleep, uniqueQueueName, type ScratchWorkerProcess } from '../testing/scratch-fleet';
import { ensureEngineTables } from './engine-tables';
import { JobsEngine } from './jobs-engine';

/*
 * Worker processes (scratch workers on the real engine) through a Redis outage: one reaches Redis
 * through a TCP proxy that is made to refuse or to swallow everything, the other reaches Redis
 * directly. Nothing is mocked; the shared Redis itself is never touched.
 */

const redisUrl = backendUrl('redis', 'job membership through a Redis outage');
const FALLBACK = /membership falls back to the database/;
const RETURN = /membership is back in Redis/;

if (redisUrl) {
  test('the membership check says where membership is kept, and fails, naming why, only when the worker can beat nowhere', {
    timeout: 60_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lh-membership-ready-'));
    const orm = await openDatabase({ url: `sqlite:${join(dir, 'jobs.sqlite')}`, entities: [], migrations: [] });
    const proxy = await TcpProxy.start(redisUrl);
    const queue = scratchQueue(uniqueQueueName('ready'));
    let engine: JobsEngine | undefined;
    try {
      await createScratchTables(orm.em, queue);
      const processor = {
        table: new TaskTable(orm.em.fork(), queue),
        concurrency: 1,
        lease: { leaseMs: 5_000, renewEveryMs: 1_000, backoff: { baseMs: 100, maxMs: 1_000 } },
        process: async () => {},
      };
      engine = new JobsEngine(
        {
          workerId: 'ready-probe',
          heartbeatMs: 100,
          memberTtlMs: 300,
          pollMs: 100,
          groupPrefix: `${queue.queue}:`,
          redis: { url: proxy.url(), timeoutMs: 200, retryMs: 200 },
        },
        [processor],
        [],
        [],
        new Registry(),
        createLogger('test', 'silent'),
      );
      await engine.start();
      const state = () =>
        engine!.membershipState().then(
          (detail) => detail,
          (error: Error) => `failed: ${error.message}`,
        );
      assert.equal(await state(), 'in Redis');

      await proxy.refuse();
      await waitUntil(
        'membership in the database',
        async () =>
          /^in the database while Redis is unreachable \(.+\); back to Redis once it answers$/.test(await state()),
        10_000,
        state,
      );
      // Its database cannot take beats either: the worker holds no shard and claims nothing.
      await sqlChanges(orm.em, 'drop table job_workers', []);
      await waitUntil(
        'the membership check to fail',
        async () => (await state()).startsWith('failed: '),
        10_000,
        state,
      );
      assert.match(
        await state(),
        /^failed: no heartbeat has succeeded for over 300 ms \(ready_\w+: .*job_workers.*\); this worker claims nothing until one does$/,
      );

      await ensureEngineTables(orm.em);
      await waitUntil(
        'membership in the database again',
        async () => (await state()).startsWith('in the database'),
        10_000,
        state,
      );
      await proxy.restore();
      await waitUntil('membership back in Redis', async () => (await state()) === 'in Redis', 10_000, state);
    } finally {
      await engine?.stop(1_000);
      await proxy.close();
      await orm.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const factory of testDatabases('job membership through a Redis outage')) {
    describe(`worker processes through a Redis outage on ${factory.kind}`, () => {
      const rig = new ScratchRig(factory);
      before(() => rig.open());
      after(() => rig.close());

      const allFinished = (count: number) =>
        waitUntil(
          `all ${count} tasks to finish`,
          async () =>
            (await rig.count('select count(*) as n from $h')) === count &&
            (await rig.count('select count(*) as n from $t')) === 0,
          60_000,
          () => rig.describe(),
          100,
        );
      const startedOf = (worker: ScratchWorkerProcess, ids: string[]) =>
        worker.started().filter((id) => ids.includes(id));

      for (const fault of ['refuse', 'blackhole'] as const) {
        const how = fault === 'refuse' ? 'refuses connections' : 'goes silent';
        test(`a worker whose Redis ${how} keeps working on database membership beside one that reaches Redis, returns to Redis when it answers, and every task completes once`, {
          timeout: 180_000,
        }, async (t) => {
          await rig.nextQueue();
          const proxy = await TcpProxy.start(redisUrl);
          try {
            const base = {
              concurrency: 4,
              heartbeatMs: 200,
              pollMs: 100,
              leaseMs: 1_500,
              renewMs: 300,
              graceMs: 3_000,
              work: 'hold:50',
              logLevel: 'info',
              redisTimeoutMs: 200,
              redisRetryMs: 300,
            };
            const cut = await rig.start({ ...base, id: 'cut-off', redisUrl: proxy.url() });
            const steady = await rig.start({ ...base, id: 'steady', redisUrl });
            const before = await enqueueScratch(rig.orm.em, rig.queue, 100, 'before');
            await allFinished(100);

            await proxy[fault]();
            // Longer than the members' time-to-live (three heartbeats): a worker that lost its membership has given up its shard by now.
            await sleep(1_000);
            const during = await enqueueScratch(rig.orm.em, rig.queue, 200, 'during');
            await allFinished(300);
            assert.ok(
              startedOf(cut, during).length > 0,
              `the worker cut off from Redis kept working:\n${cut.log().slice(-3000)}`,
            );
            await cut.waitForLine('the switch to database membership', (l) => FALLBACK.test(String(l.msg)), 10_000);

            await proxy.restore();
            await cut.waitForLine('the return to Redis membership', (l) => RETURN.test(String(l.msg)), 20_000);
            const afterwards = await enqueueScratch(rig.orm.em, rig.queue, 100, 'after');
            await allFinished(400);
            assert.ok(
              startedOf(cut, afterwards).length > 0,
              `the worker back in Redis works:\n${cut.log().slice(-6000)}`,
            );

            assert.equal(await cut.stop('SIGTERM'), 0, cut.log());
            assert.equal(await steady.stop('SIGTERM'), 0, steady.log());
            assert.equal(cut.logged(FALLBACK).length, 1, 'the switch to the database is logged once');
            assert.equal(cut.logged(RETURN).length, 1, 'the return to Redis is logged once');
            assert.equal(steady.logged(FALLBACK).length, 0, 'the worker that reached Redis never left it');
            assert.equal(await rig.count('select count(*) as n from $e'), 400, 'one effect per task');
            assert.equal(await rig.count('select count(distinct task_id) as n from $e'), 400);
            assert.equal(await rig.count('select count(*) as n from $h'), 400);
            assert.equal(
              await rig.count(`select count(*) as n from job_workers where worker_id = 'cut-off'`),
              0,
              'back in Redis, the worker left the database membership',
            );
            t.diagnostic(
              `${factory.kind}, Redis ${fault}: the cut-off worker started ${startedOf(cut, before).length}/100 tasks before, ${startedOf(cut, during).length}/200 during and ${startedOf(cut, afterwards).length}/100 after the outage`,
            );
          } finally {
            await proxy.close();
          }
        });
      }
    });
  }
}
