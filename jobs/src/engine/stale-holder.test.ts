import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TaskTable } from '@learnhub/platform/tasks';
import { waitUntil } from '@learnhub/platform/testing';
import { enqueueScratch } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { ScratchRig, sleep } from '../testing/scratch-fleet';
import { ownerOf } from './shard';

const HOLD_MS = 1_500;
/** The frozen worker: a lease of one second, renewed four times a second, and a task that takes 1.5 s. */
const holder = { id: 'holder-a', concurrency: 1, leaseMs: 1_000, renewMs: 250, heartbeatMs: 200, pollMs: 100 };
const taker = { id: 'taker-b', concurrency: 1, leaseMs: 10_000, renewMs: 1_000, heartbeatMs: 200, pollMs: 100 };

for (const factory of testDatabases('stale lease holders')) {
  describe(`stale lease holders on ${factory.kind}`, () => {
    const rig = new ScratchRig(factory);
    before(() => rig.open());
    after(() => rig.close());

    const table = () => new TaskTable(rig.orm.em.fork(), rig.queue);
    const leaseUntil = async (id: string) =>
      Number((await rig.rows('select lease_until_ms from $t where id = ?', [id]))[0]?.lease_until_ms);
    /** Waits until the task's lease has run out by the database's clock; returns when it ran out. */
    const leaseExpiry = (id: string) =>
      waitUntil(
        `the lease on task ${id} to run out`,
        async () => {
          const until = await leaseUntil(id);
          return (await table().clock()) > until ? until : undefined;
        },
        10_000,
        () => rig.describe(),
      );
    const historyRows = () => rig.rows('select id, attempts, finished_by, finished_at_ms from $h');
    const effectRows = () => rig.rows('select task_id, worker_id from $e');

    for (const resume of ['after the new holder finished', 'while the new holder is still working'] as const) {
      test(`a worker frozen (SIGSTOP) past its lease and resumed ${resume} gets no completion accepted`, {
        timeout: 60_000,
      }, async () => {
        await rig.nextQueue();
        const [id] = await enqueueScratch(rig.orm.em, rig.queue, 1);
        const a = await rig.start({ ...holder, work: `hold:${HOLD_MS}` });
        await a.waitForLine('start the task', (l) => String(l.started) === id);
        a.signal('SIGSTOP');

        const expiredAt = await leaseExpiry(id);
        const laterHold = resume === 'while the new holder is still working';
        const b = await rig.start({ ...taker, work: laterHold ? `hold:${HOLD_MS * 2}` : 'record' });
        await b.waitForLine('take over the task', (l) => String(l.started) === id, 15_000);
        if (!laterHold)
          await waitUntil(
            'B to finish the task',
            async () => (await historyRows()).length === 1,
            15_000,
            () => rig.describe(),
          );

        a.signal('SIGCONT');
        // A's overdue timers fire now: its renewal and its completion both find the lease gone.
        await a.waitForLine(
          'report the lost lease',
          (l) => typeof l.msg === 'string' && /lease lost/.test(l.msg),
          10_000,
        );
        // Lets A's hold end, so its completion is tried, and refused.
        await sleep(HOLD_MS + 500);
        if (laterHold)
          await waitUntil(
            'B to finish the task',
            async () => (await historyRows()).length === 1,
            15_000,
            () => rig.describe(),
          );
        await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);

        const effects = await effectRows();
        assert.deepEqual(
          effects.map((e) => [String(e.task_id), e.worker_id]),
          [[id, 'taker-b']],
          `exactly one effect, B's:\n${a.log()}`,
        );
        const history = await historyRows();
        assert.equal(history.length, 1);
        assert.equal(history[0].finished_by, 'taker-b');
        assert.equal(Number(history[0].attempts), 2, 'B ran the second attempt');
        assert.ok(Number(history[0].finished_at_ms) >= expiredAt, 'B finished only after A’s lease ran out');
        assert.equal(await rig.count('select count(*) as n from $t'), 0);
        assert.equal(
          await rig.count(`select count(*) as n from $e where worker_id = 'holder-a'`),
          0,
          'A wrote nothing',
        );
        assert.equal(await rig.count(`select count(*) as n from $h where finished_by = 'holder-a'`), 0);
        const starts = await rig.rows('select worker_id, token from $s order by worker_id');
        assert.deepEqual(
          starts.map((s) => s.worker_id),
          ['holder-a', 'taker-b'],
          'each started it once, under different leases',
        );
        assert.notEqual(starts[0].token, starts[1].token);
        assert.ok(a.logged(/lease lost/).length >= 1, 'A logged that it lost the lease');
        assert.equal(a.logged(/task succeeded/).length, 0, 'A did not report success');
      });
    }

    test('a worker killed (SIGKILL) mid-task: another finishes the task once its lease runs out', {
      timeout: 60_000,
    }, async () => {
      await rig.nextQueue();
      const [id] = await enqueueScratch(rig.orm.em, rig.queue, 1);
      const a = await rig.start({ ...holder, work: 'hold:60000' });
      await a.waitForLine('start the task', (l) => String(l.started) === id);
      a.signal('SIGKILL');
      assert.equal((await a.exited).signal, 'SIGKILL');
      // Nothing renews it now: this is when the lease runs out.
      const until = await leaseUntil(id);
      assert.equal((await rig.rows('select lease_owner from $t where id = ?', [id]))[0].lease_owner, 'holder-a');

      const b = await rig.start({ ...taker, work: 'record' });
      await waitUntil(
        'B to finish the task',
        async () => (await historyRows()).length === 1,
        15_000,
        () => rig.describe(),
      );
      await b.stop('SIGTERM');

      assert.deepEqual(
        (await effectRows()).map((e) => [String(e.task_id), e.worker_id]),
        [[id, 'taker-b']],
      );
      const [done] = await historyRows();
      assert.equal(done.finished_by, 'taker-b');
      assert.equal(Number(done.attempts), 2);
      assert.ok(
        Number(done.finished_at_ms) >= until,
        `finished at ${String(done.finished_at_ms)}, before the lease ran out at ${until}`,
      );
      assert.equal(await rig.count('select count(*) as n from $t'), 0);
    });

    test('a live worker that keeps renewing holds its task well past the lease, though another worker would take it', {
      timeout: 60_000,
    }, async () => {
      await rig.nextQueue();
      const [id] = await enqueueScratch(rig.orm.em, rig.queue, 1);
      const a = await rig.start({ ...holder, work: `hold:${HOLD_MS * 2}` });
      await a.waitForLine('start the task', (l) => String(l.started) === id);
      const b = await rig.start({ ...taker, work: 'record' });
      assert.equal(
        ownerOf(id, ['holder-a', 'taker-b']),
        'taker-b',
        'the task is in B’s shard: B would claim it if the lease lapsed',
      );
      await waitUntil(
        'A to finish the task',
        async () => (await historyRows()).length === 1,
        15_000,
        () => rig.describe(),
      );
      await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);
      const [done] = await historyRows();
      assert.equal(done.finished_by, 'holder-a');
      assert.equal(Number(done.attempts), 1, 'nobody else ever claimed it');
      assert.deepEqual(b.started(), []);
      assert.deepEqual(
        (await effectRows()).map((e) => e.worker_id),
        ['holder-a'],
      );
    });

    test('a worker killed on the last attempt leaves the task FAILED for a person, not processing forever and not retried', {
      timeout: 60_000,
    }, async () => {
      await rig.nextQueue(1);
      const [id] = await enqueueScratch(rig.orm.em, rig.queue, 1);
      const a = await rig.start({ ...holder, work: 'hold:60000' });
      await a.waitForLine('start the task', (l) => String(l.started) === id);
      a.signal('SIGKILL');
      await a.exited;
      const b = await rig.start({ ...taker, work: 'record' });
      const row = await waitUntil(
        'another worker’s heartbeat to mark the abandoned task failed',
        async () => (await rig.rows(`select * from $t where id = ? and state = 'FAILED'`, [id]))[0],
        15_000,
        () => rig.describe(),
      );
      // Time in which B would claim the failed task, were it retried: proving it is not.
      await sleep(500);
      await b.stop('SIGTERM');
      assert.match(String(row.last_error), /stopped/);
      assert.equal(Number(row.attempts), 1);
      assert.equal(row.run_at_ms, null);
      assert.equal(row.lease_token, null);
      assert.deepEqual(b.started(), [], 'B never ran it');
      assert.equal(await rig.count('select count(*) as n from $e'), 0);
      assert.equal(await rig.count('select count(*) as n from $h'), 0);
    });
  });
}
