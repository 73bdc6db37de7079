import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EntityManager } from '@mikro-orm/core';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { waitUntil } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { ScratchRig, sleep, type ScratchWorkerOptions } from '../testing/scratch-fleet';

/** The fallback poll is a minute: a task that starts within seconds was started by its wake-up. */
const LONG_POLL_MS = 60_000;
const WAKE_DEADLINE_MS = 5_000;

const redisUrl = process.env.TEST_REDIS_URL || undefined;

for (const factory of testDatabases('job wake-ups')) {
  describe(`wake-ups on ${factory.kind}`, () => {
    const rig = new ScratchRig(factory);
    /** Every wake-up sender made, each closed at the end (an open connection would keep the test process alive). */
    const notifiers: TaskWakeup[] = [];
    const sender = (redis: string | undefined) => {
      const wakeup = TaskWakeup.for(rig.url, redis ? { url: redis } : undefined);
      notifiers.push(wakeup);
      return wakeup;
    };
    before(() => rig.open());
    after(async () => {
      await Promise.allSettled(notifiers.map((n) => n.close()));
      await rig.close();
    });

    /** Inserts one pending task with `em` (in its transaction, if any) and returns its id. */
    const insertTask = async (em: EntityManager, payload: string): Promise<string> => {
      const connection = em.getConnection();
      const ctx = em.getTransactionContext();
      await connection.execute(
        `insert into ${rig.queue.table} (payload, state, attempts, run_at_ms, created_at) values (?, 'PENDING', 0, 0, ?)`,
        [payload, Date.now()],
        'run',
        ctx,
      );
      const [row] = await connection.execute(
        `select max(id) as id from ${rig.queue.table} where payload = ?`,
        [payload],
        'all',
        ctx,
      );
      return String(row.id);
    };

    /** A worker that only a wake-up (or, after a minute, its poll) makes look for work. */
    const idleWorker = async (id: string, options: Partial<ScratchWorkerOptions> = {}) => {
      const worker = await rig.start({
        id,
        work: 'record',
        concurrency: 2,
        heartbeatMs: 200,
        pollMs: LONG_POLL_MS,
        leaseMs: 30_000,
        renewMs: 5_000,
        ...options,
      });
      // Its first look (at start and at its shard assignment) has passed and found nothing.
      await sleep(400);
      return worker;
    };

    const sampleUrl = { postgresql: 'postgresql://x/y', sqlite: 'sqlite:x', mariadb: 'mysql://x/y' }[factory.kind];
    const wakeTransport = TaskWakeup.for(sampleUrl, redisUrl ? { url: redisUrl } : undefined).transport;

    if (wakeTransport === 'poll') {
      test('wake-ups through Redis', { skip: 'TEST_REDIS_URL not set' }, () => {});
    } else {
      test(`a task announced by ${wakeTransport} after it is enqueued starts long before the next poll`, {
        timeout: 60_000,
      }, async (t) => {
        await rig.nextQueue();
        const notifier = sender(redisUrl);
        assert.equal(notifier.transport, wakeTransport);
        const worker = await idleWorker('woken', { redisUrl });
        const id = await insertTask(rig.orm.em, 'after-commit');
        const sentAt = Date.now();
        await notifier.notify(rig.queue.queue);
        await worker.waitForLine('start the announced task', (l) => String(l.started) === id, WAKE_DEADLINE_MS);
        t.diagnostic(
          `${factory.kind} via ${wakeTransport}: started ${Date.now() - sentAt} ms after the wake-up (poll every ${LONG_POLL_MS} ms)`,
        );
        await waitUntil(
          'the task to finish',
          async () => (await rig.count('select count(*) as n from $h')) === 1,
          10_000,
          () => rig.describe(),
        );
      });

      test(`one wake-up for a burst of tasks: the woken worker works through all of them without waiting for a poll`, {
        timeout: 60_000,
      }, async (t) => {
        await rig.nextQueue();
        const notifier = sender(redisUrl);
        const worker = await idleWorker('burst', { redisUrl });
        const ids: string[] = [];
        await rig.orm.em.fork().transactional(async (tx) => {
          for (let i = 0; i < 7; i++) ids.push(await insertTask(tx, `burst-${i}`));
        });
        // After the commit, as the enqueuers do.
        const sentAt = Date.now();
        await notifier.notify(rig.queue.queue);
        await waitUntil(
          'all seven tasks to finish',
          async () => (await rig.count('select count(*) as n from $h')) === 7,
          WAKE_DEADLINE_MS * 2,
          () => rig.describe(),
        );
        assert.deepEqual(worker.started().sort(), [...ids].sort());
        t.diagnostic(
          `${factory.kind} via ${wakeTransport}: 7 tasks (concurrency 2) finished ${Date.now() - sentAt} ms after one wake-up`,
        );
      });
    }

    if (factory.kind !== 'postgresql') {
      test('without a wake-up a task waits for the poll, which picks it up', { timeout: 60_000 }, async () => {
        await rig.nextQueue();
        // SQLite always has its file wake-up; only MariaDB without Redis has none of its own.
        const quiet = factory.kind === 'sqlite' ? TaskWakeup.pollOnly() : sender(undefined);
        assert.equal(quiet.transport, 'poll');
        const sleeper = await idleWorker('long-poller');
        const id = await insertTask(rig.orm.em, 'polled');
        await quiet.notify(rig.queue.queue);
        // Time in which a wake-up would have started the task, to show none arrives.
        await sleep(1_500);
        assert.deepEqual(sleeper.started(), [], 'nothing woke the worker with a one-minute poll');
        assert.equal(await sleeper.stop('SIGTERM'), 0);

        const poller = await rig.start({
          id: 'poller',
          work: 'record',
          concurrency: 2,
          heartbeatMs: 200,
          pollMs: 300,
          leaseMs: 30_000,
          renewMs: 5_000,
        });
        await poller.waitForLine('poll the task up', (l) => String(l.started) === id, 10_000);
        await waitUntil(
          'the task to finish',
          async () => (await rig.count('select count(*) as n from $h')) === 1,
          10_000,
          () => rig.describe(),
        );
      });
    }
  });
}
