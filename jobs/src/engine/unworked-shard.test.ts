import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backendUrl } from '@learnhub/platform/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { enqueueScratch } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { ScratchRig } from '../testing/scratch-fleet';

/*
 * Workers' views of the membership differ for up to a heartbeat as workers join and leave, and a
 * crashed member keeps its shard until it expires (three heartbeats). Tasks due in a shard that no
 * running worker works must not wait for that: heartbeat and poll are ten minutes here, so a task
 * that waited for either misses the deadline by far.
 */
const slow = { heartbeatMs: 600_000, pollMs: 600_000, leaseMs: 60_000, renewMs: 15_000, logLevel: 'info' };
const DEADLINE_MS = 20_000;

for (const factory of testDatabases('unworked shards')) {
  describe(`tasks in a shard no running worker works, on ${factory.kind}`, () => {
    const rig = new ScratchRig(factory);
    // MariaDB has no wake-up of its own: without Redis a released task waits for the poll by design.
    const redisUrl =
      factory.kind === 'mariadb' ? backendUrl('redis', 'unworked shards on mariadb (wake-ups)') : undefined;
    before(() => rig.open());
    after(() => rig.close());

    const finished = async () => rig.count('select count(*) as n from $h');
    const shardsOf = (worker: { logged(message: RegExp): Array<Record<string, unknown>> }) =>
      worker.logged(/^shard assigned$/).map((l) => l.shard);

    test('a worker with nothing left in its own shard takes the tasks of a member that crashed, before any heartbeat or poll', {
      timeout: 60_000,
    }, async () => {
      await rig.nextQueue();
      // It joins and dies without leaving: the others count it, and it owns shard 0 of 2, for three heartbeats.
      const crashed = await rig.start({ ...slow, id: 'shard-a', work: 'record' });
      assert.equal(await crashed.stop('SIGKILL'), null);
      const ids = await enqueueScratch(rig.orm.em, rig.queue, 20);

      const survivor = await rig.start({ ...slow, id: 'shard-b', work: 'record', concurrency: 2 });
      await waitUntil(
        `all ${ids.length} tasks to finish`,
        async () => (await finished()) === ids.length,
        DEADLINE_MS,
        () => rig.describe(),
      );
      assert.deepEqual(shardsOf(survivor), ['1/2'], 'the survivor counted the crashed member all along');
      const effects = await rig.rows('select task_id, worker_id from $e order by task_id');
      assert.deepEqual(
        effects.map((e) => [String(e.task_id), e.worker_id]),
        ids.map((id) => [id, 'shard-b']),
        'each task done once, all by the survivor',
      );
      assert.equal(await survivor.stop('SIGTERM'), 0, survivor.log());
    });

    if (factory.kind !== 'mariadb' || redisUrl) {
      test('tasks a leaving worker releases are taken at once by a worker that still counts it', {
        timeout: 60_000,
      }, async () => {
        await rig.nextQueue();
        const ids = await enqueueScratch(rig.orm.em, rig.queue, 2);
        // Started first, it sees only itself (shard 0 of 1) and takes both tasks; it holds them until stopped.
        const leaver = await rig.start({
          ...slow,
          redisUrl,
          id: 'leave-b',
          work: 'hold:600000',
          concurrency: 2,
          graceMs: 500,
        });
        await waitUntil(
          'the leaver to start both tasks',
          () => leaver.started().length === 2,
          DEADLINE_MS,
          () => rig.describe(),
        );
        // Started second, it counts the leaver (shard 0 of 2) until its next heartbeat, ten minutes away.
        const stayer = await rig.start({ ...slow, redisUrl, id: 'leave-a', work: 'record', concurrency: 2 });
        assert.equal(await leaver.stop('SIGTERM', DEADLINE_MS), 0, leaver.log());

        await waitUntil(
          'the released tasks to finish',
          async () => (await finished()) === ids.length,
          DEADLINE_MS,
          () => rig.describe(),
        );
        assert.deepEqual(shardsOf(stayer), ['0/2']);
        const history = await rig.rows('select id, attempts, finished_by from $h order by id');
        assert.deepEqual(
          history.map((h) => [String(h.id), h.finished_by, Number(h.attempts)]),
          ids.map((id) => [id, 'leave-a', 1]),
          'finished by the stayer, the interrupted attempt not counted',
        );
        assert.equal(await stayer.stop('SIGTERM'), 0, stayer.log());
      });
    }
  });
}
