import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enqueueScratch } from '@learnhub/platform/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { ScratchRig, type ScratchWorkerProcess } from '../testing/scratch-fleet';

const TASKS = 2_000;
const WORKER_IDS = ['racer-1', 'racer-2', 'racer-3', 'racer-4'];

/** The warnings and errors workers logged, one line each, with the error's code. */
const complaintsOf = (workers: ScratchWorkerProcess[]) =>
  workers.flatMap((w) =>
    w.lines
      .filter((l) => Number(l.level) >= 40)
      .map((l) => {
        const err = l.err as { code?: string; message?: string } | undefined;
        return `${w.id}: ${String(l.msg)}${err ? ` (${err.code ?? err.message?.slice(0, 120)})` : ''}`;
      }),
  );

/** The shard a worker last logged (`shard assigned`, at info level), as "index/total". */
const lastShard = (worker: ScratchWorkerProcess) =>
  worker.logged(/^shard assigned$/).at(-1)?.shard as string | undefined;

for (const factory of testDatabases('racing workers')) {
  describe(`racing worker processes on ${factory.kind}`, () => {
    const rig = new ScratchRig(factory);
    before(() => rig.open());
    after(() => rig.close());

    /** Four workers, started together; resolves once each works its own quarter, so the first one up does not take everything. */
    const racers = async (work: string) => {
      const workers = await Promise.all(
        WORKER_IDS.map((id) =>
          rig.start({
            id,
            work,
            concurrency: 8,
            pollMs: 50,
            heartbeatMs: 200,
            leaseMs: 60_000,
            renewMs: 10_000,
            logLevel: 'info',
          }),
        ),
      );
      await waitUntil(
        'every worker to hold one shard of four',
        () => workers.every((w) => lastShard(w)?.endsWith(`/${WORKER_IDS.length}`)),
        20_000,
        () => workers.map((w) => `${w.id}: ${lastShard(w)}`).join(', '),
      );
      assert.deepEqual(workers.map(lastShard).sort(), ['0/4', '1/4', '2/4', '3/4'], 'four distinct shards');
      return workers;
    };

    test(`${WORKER_IDS.length} worker processes racing over ${TASKS} tasks never claim a task twice`, {
      timeout: 240_000,
    }, async (t) => {
      await rig.nextQueue();
      const workers = await racers('record');

      const startedAt = Date.now();
      // (Its returned ids are read back from the live table, which the workers are already emptying.)
      await enqueueScratch(rig.orm.em, rig.queue, TASKS);
      await waitUntil(
        `${TASKS} tasks in the history`,
        async () => (await rig.count('select count(*) as n from $h')) >= TASKS,
        150_000,
        () => rig.describe(),
        200,
      );
      const elapsedMs = Date.now() - startedAt;

      // Stop them all gracefully, so nothing more can be written while we count.
      const codes = await Promise.all(workers.map((w) => w.stop('SIGTERM')));
      assert.deepEqual(codes, [0, 0, 0, 0], 'every worker stops cleanly on SIGTERM');

      const perWorker = await rig.rows('select worker_id, count(*) as n from $s group by worker_id order by worker_id');
      t.diagnostic(
        `${factory.kind}: ${TASKS} tasks by ${WORKER_IDS.length} processes in ${elapsedMs} ms; starts per worker ${perWorker.map((r) => `${String(r.worker_id)}=${Number(r.n)}`).join(' ')}`,
      );

      // Shards are fixed while membership is steady; a heartbeat late past the time-to-live (a busy database) re-splits them for a moment.
      t.diagnostic(
        `shard changes: ${workers
          .map(
            (w) =>
              `${w.id} ${w
                .logged(/^shard assigned$/)
                .map((l) => String(l.shard))
                .join('→')}`,
          )
          .join('; ')}`,
      );
      const complaints = complaintsOf(workers);
      if (complaints.length)
        t.diagnostic(`warnings and errors logged: ${complaints.length}: ${complaints.slice(0, 5).join(' | ')}`);
      assert.deepEqual(
        workers.flatMap((w) => w.lines.filter((l) => Number(l.level) >= 50)),
        [],
        'no worker failed to record an outcome',
      );

      assert.equal(await rig.count('select count(*) as n from $s'), TASKS, 'every task started exactly once');
      assert.equal(await rig.count('select count(distinct task_id) as n from $s'), TASKS);
      assert.equal(await rig.count('select count(*) as n from $e'), TASKS, 'every task wrote its effect exactly once');
      assert.equal(await rig.count('select count(distinct task_id) as n from $e'), TASKS);
      assert.equal(await rig.count('select count(*) as n from $h'), TASKS);
      assert.equal(
        await rig.count('select count(*) as n from $h where attempts <> 1'),
        0,
        'no task needed a second claim',
      );
      assert.equal(
        await rig.count(
          'select count(*) as n from $e e join $h h on h.id = e.task_id where h.finished_by = e.worker_id',
        ),
        TASKS,
        'each effect was written by the worker the history says finished the task',
      );
      assert.equal(
        await rig.count(
          'select count(*) as n from $s s join $e e on e.task_id = s.task_id where s.worker_id = e.worker_id',
        ),
        TASKS,
        'the worker that started a task is the one that finished it',
      );
      assert.equal(await rig.count('select count(*) as n from $t'), 0, 'the live table is empty');
      assert.deepEqual(
        perWorker.map((r) => String(r.worker_id)),
        WORKER_IDS,
        'every worker did some of the work',
      );
      for (const row of perWorker)
        assert.ok(Number(row.n) > 0, `${String(row.worker_id)} started ${Number(row.n)} tasks`);
    });

    test(`the same with tasks that write nothing (their completions batched): each of ${TASKS} finishes once`, {
      timeout: 240_000,
    }, async (t) => {
      await rig.nextQueue();
      const workers = await racers('noop');
      const startedAt = Date.now();
      await enqueueScratch(rig.orm.em, rig.queue, TASKS);
      await waitUntil(
        `${TASKS} tasks in the history`,
        async () =>
          (await rig.count('select count(*) as n from $h')) >= TASKS &&
          (await rig.count('select count(*) as n from $t')) === 0,
        150_000,
        () => rig.describe(),
        200,
      );
      const elapsedMs = Date.now() - startedAt;
      assert.deepEqual(await Promise.all(workers.map((w) => w.stop('SIGTERM'))), [0, 0, 0, 0]);
      const perWorker = await rig.rows(
        'select finished_by, count(*) as n from $h group by finished_by order by finished_by',
      );
      t.diagnostic(
        `${factory.kind} (noop): ${TASKS} tasks in ${elapsedMs} ms; finished per worker ${perWorker.map((r) => `${String(r.finished_by)}=${Number(r.n)}`).join(' ')}`,
      );
      // A failed claim is tried again at the next poll; a finished task recorded as failed (and run again) is not harmless.
      const complaints = complaintsOf(workers);
      if (complaints.length)
        t.diagnostic(`warnings and errors logged: ${complaints.length}: ${complaints.slice(0, 5).join(' | ')}`);
      assert.deepEqual(
        complaints.filter((c) => !/claiming tasks failed/.test(c)),
        [],
        'no finished task was recorded as failed, no lease was lost',
      );
      assert.equal(await rig.count('select count(*) as n from $h'), TASKS);
      assert.equal(await rig.count('select count(distinct id) as n from $h'), TASKS);
      assert.equal(
        await rig.count('select count(*) as n from $h where attempts <> 1'),
        0,
        'no task needed a second claim',
      );
      assert.equal(await rig.count('select count(*) as n from $t'), 0);
      assert.deepEqual(
        perWorker.map((r) => String(r.finished_by)),
        WORKER_IDS,
        'every worker finished some',
      );
    });
  });
}
