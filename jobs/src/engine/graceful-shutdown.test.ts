import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TaskTable, type ClaimedTask, type ShardFilter, type TaskTableDefinition } from '@learnhub/platform/tasks';
import { waitUntil } from '@learnhub/platform/testing';
import { enqueueScratch } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { inProcessEngines } from '../testing/in-process-engines';
import { ScratchRig, sleep } from '../testing/scratch-fleet';
import { WorkerShutdownError, type QueueProcessor } from '@learnhub/platform/tasks';

const quick = { concurrency: 4, heartbeatMs: 200, pollMs: 100 };

for (const factory of testDatabases('graceful shutdown')) {
  describe(`graceful shutdown on ${factory.kind}`, () => {
    const rig = new ScratchRig(factory);
    before(() => rig.open());
    after(() => rig.close());

    /** The worker's row in the database membership (`job_workers`): the scratch worker's group is `<queue>:<queue>`. */
    const memberRows = (workerId: string) =>
      rig.rows('select worker_id from job_workers where member_group = ? and worker_id = ?', [
        `${rig.queue.queue}:${rig.queue.queue}`,
        workerId,
      ]);

    test('SIGTERM releases the leases of tasks still running after the grace period, uncounted, and leaves the membership', {
      timeout: 60_000,
    }, async () => {
      await rig.nextQueue();
      const ids = await enqueueScratch(rig.orm.em, rig.queue, 3);
      const a = await rig.start({
        ...quick,
        id: 'leaver',
        work: 'hold:30000',
        leaseMs: 60_000,
        renewMs: 5_000,
        graceMs: 1_000,
      });
      await waitUntil(
        'A to start all three tasks',
        () => a.started().length === 3,
        15_000,
        () => rig.describe(),
      );
      assert.deepEqual(a.started().sort(), [...ids].sort());
      assert.equal((await memberRows('leaver')).length, 1, 'A is a member while it runs');

      const stoppedAt = Date.now();
      const code = await a.stop('SIGTERM', 20_000);
      const tookMs = Date.now() - stoppedAt;
      assert.equal(code, 0, a.log());
      assert.ok(tookMs < 10_000, `stopping took ${tookMs} ms with a grace of 1 s`);
      assert.ok(
        a.lines.some((l) => l.stopped === 'leaver'),
        'it reported a clean stop',
      );

      const rows = await rig.rows(
        'select id, state, attempts, lease_owner, lease_token, lease_until_ms, progress, run_at_ms from $t order by id',
      );
      const nowMs = await new TaskTable(rig.orm.em.fork(), rig.queue).clock();
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.equal(row.state, 'PENDING', `task ${String(row.id)} is back in the queue`);
        assert.equal(Number(row.attempts), 0, `task ${String(row.id)}: the interrupted attempt is not counted`);
        assert.equal(row.lease_owner, null);
        assert.equal(row.lease_token, null);
        assert.equal(row.lease_until_ms, null);
        assert.equal(row.progress, null);
        assert.ok(
          row.run_at_ms !== null && Number(row.run_at_ms) <= nowMs,
          `claimable at once (run_at_ms ${String(row.run_at_ms)})`,
        );
      }
      assert.equal(await rig.count('select count(*) as n from $e'), 0, 'nothing of the interrupted work committed');
      assert.deepEqual(await memberRows('leaver'), [], 'A left the membership');

      const b = await rig.start({ ...quick, id: 'finisher', work: 'record', leaseMs: 60_000, renewMs: 5_000 });
      await waitUntil(
        'B to finish the released tasks',
        async () => (await rig.count('select count(*) as n from $h')) === 3,
        15_000,
        () => rig.describe(),
      );
      assert.equal(await b.stop('SIGTERM'), 0);
      const history = await rig.rows('select id, attempts, finished_by from $h order by id');
      assert.deepEqual(
        history.map((h) => [String(h.id), h.finished_by, Number(h.attempts)]),
        ids.map((id) => [id, 'finisher', 1]),
        'B finished them, on what counts as their first attempt',
      );
      assert.deepEqual(
        (await rig.rows('select task_id, worker_id from $e order by task_id')).map((e) => [
          String(e.task_id),
          e.worker_id,
        ]),
        ids.map((id) => [id, 'finisher']),
      );
      assert.equal(await rig.count('select count(*) as n from $t'), 0);
    });

    test('SIGTERM lets tasks that finish within the grace period complete instead of releasing them', {
      timeout: 60_000,
    }, async () => {
      await rig.nextQueue();
      const ids = await enqueueScratch(rig.orm.em, rig.queue, 2);
      const a = await rig.start({
        ...quick,
        id: 'patient',
        work: 'hold:600',
        leaseMs: 60_000,
        renewMs: 5_000,
        graceMs: 6_000,
      });
      await waitUntil(
        'A to start both tasks',
        () => a.started().length === 2,
        15_000,
        () => rig.describe(),
      );
      assert.equal(await a.stop('SIGTERM', 20_000), 0, a.log());

      assert.equal(await rig.count('select count(*) as n from $t'), 0, 'nothing was released');
      const history = await rig.rows('select id, attempts, finished_by from $h order by id');
      assert.deepEqual(
        history.map((h) => [String(h.id), h.finished_by, Number(h.attempts)]),
        ids.map((id) => [id, 'patient', 1]),
      );
      assert.equal(await rig.count(`select count(*) as n from $e where worker_id = 'patient'`), 2);
      assert.deepEqual(await memberRows('patient'), [], 'A left the membership');
    });
  });
}

/** A task table whose claims can be held at a gate, to stop an engine while a claim is in flight. */
class GatedTaskTable extends TaskTable {
  gate?: Promise<void>;
  waiting = 0;

  override async claim(owner: string, shard: ShardFilter, limit: number, leaseMs: number): Promise<ClaimedTask[]> {
    if (this.gate) {
      this.waiting++;
      await this.gate;
    }
    return super.claim(owner, shard, limit, leaseMs);
  }
}

for (const factory of testDatabases('graceful shutdown in process')) {
  describe(`graceful shutdown of an engine in this process on ${factory.kind}`, () => {
    const local = inProcessEngines(factory, 'gs');
    const engineFor = (process: QueueProcessor['process'], table?: (queue: TaskTableDefinition) => TaskTable) =>
      local.start(process, { table });

    test('a task that stops on its signal at shutdown is released: pending again, its attempt not counted', {
      timeout: 30_000,
    }, async () => {
      const reasons: unknown[] = [];
      let running = 0;
      const { engine, queue, rows } = await engineFor(
        (_task, context) =>
          new Promise<void>((_resolve, reject) => {
            running++;
            context.signal.addEventListener('abort', () => {
              reasons.push(context.signal.reason);
              reject(context.signal.reason);
            });
          }),
      );
      await enqueueScratch(local.orm.em, queue, 2);
      await waitUntil('both tasks to run', () => running === 2, 10_000);
      await engine.stop(500);
      assert.equal(reasons.length, 2);
      for (const reason of reasons) assert.ok(reason instanceof WorkerShutdownError, String(reason));
      const live = await rows('select state, attempts, lease_owner, lease_token, run_at_ms from $t');
      const nowMs = await new TaskTable(local.orm.em.fork(), queue).clock();
      assert.deepEqual(
        live.map((r) => [
          r.state,
          Number(r.attempts),
          r.lease_owner,
          r.lease_token,
          r.run_at_ms !== null && Number(r.run_at_ms) <= nowMs,
        ]),
        [
          ['PENDING', 0, null, null, true],
          ['PENDING', 0, null, null, true],
        ],
        'pending, uncounted, unleased and claimable at once',
      );
      assert.equal((await engine.metrics.released.get()).values.find((v) => v.labels.queue === queue.queue)?.value, 2);
    });

    test('a claim in flight when the engine stops starts nothing afterwards and leaves no task leased', {
      timeout: 30_000,
    }, async () => {
      let table!: GatedTaskTable;
      const startedAfterStop: string[] = [];
      let stopped = false;
      const { engine, queue, rows } = await engineFor(
        async (task, context) => {
          if (stopped) startedAfterStop.push(task.id);
          // Long work that stops on its signal, like a transcode.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 3_000);
            context.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        },
        (q) => (table = new GatedTaskTable(local.orm.em.fork(), q)),
      );
      let open!: () => void;
      table.gate = new Promise<void>((resolve) => (open = resolve));
      await enqueueScratch(local.orm.em, queue, 2);
      // The next poll's claim waits at the gate, as a claim on a busy database would.
      await waitUntil('a claim to be in flight', () => table.waiting > 0, 10_000);
      const stopping = engine.stop(1_000).then(() => (stopped = true));
      // The claim comes back once stop() has returned, or after a while if stop() waits for it.
      await Promise.race([stopping, sleep(1_500)]);
      open();
      await stopping;
      // Time for a late claim or start to land, were the stopped engine to make one: proving it does not.
      await sleep(500);
      // A real process exits here: whatever is still leased waits for its lease to run out, its attempt spent.
      const leased = await rows(`select id, state, attempts, lease_owner from $t where state = 'PROCESSING'`);
      assert.deepEqual(leased, [], 'no task is left leased by the stopped engine');
      assert.deepEqual(startedAfterStop, [], 'no task started after stop() returned');
      const pending = await rows('select id, state, attempts from $t');
      assert.deepEqual(
        pending.map((r) => [r.state, Number(r.attempts)]),
        [
          ['PENDING', 0],
          ['PENDING', 0],
        ],
        'the claimed tasks went back untouched',
      );
    });
  });
}
