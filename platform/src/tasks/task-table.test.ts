import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '../database/open-database';
import { appError } from '../testing/app-error';
import { createScratchTables, enqueueScratch, scratchQueue } from '../testing/scratch-queue';
import { testDatabases, type TestDatabase } from '../testing/test-databases';
import { waitUntil } from '../testing/wait-until';
import { LeaseLostError, TaskTable, type ClaimedTask } from './task-table';

const everyone = { index: 0, total: 1 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of testDatabases('task table')) {
  describe(`TaskTable on ${factory.kind}`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let n = 0;

    before(async () => {
      database = await factory.create();
      orm = await openDatabase({ url: database.url, entities: [], migrations: [] });
    });
    after(async () => {
      await orm?.close();
      await database?.drop();
    });

    /** A fresh queue per test, so tests do not see each other's tasks. */
    const fresh = async (maxAttempts = 3) => {
      const queue = scratchQueue(`q${++n}`);
      await createScratchTables(orm.em, queue, maxAttempts);
      return new TaskTable(orm.em.fork(), queue);
    };
    const rows = (table: TaskTable, sql: string, params: unknown[] = []) =>
      orm.em
        .getConnection()
        .execute(sql.replaceAll('$t', table.definition.table).replaceAll('$h', table.definition.historyTable), params);
    const stateOf = async (table: TaskTable, id: string) =>
      (await rows(table, 'select * from $t where id = ?', [id]))[0];

    test('claim takes the oldest claimable tasks under one lease, and each task only once', async () => {
      const table = await fresh();
      const ids = await enqueueScratch(orm.em, table.definition, 5);
      const first = await table.claim('w1', everyone, 3, 60_000);
      assert.deepEqual(
        first.map((t) => t.id),
        ids.slice(0, 3),
      );
      assert.equal(new Set(first.map((t) => t.token)).size, 1);
      assert.deepEqual(
        first.map((t) => t.attempt),
        [1, 1, 1],
      );
      const row = await stateOf(table, ids[0]);
      assert.equal(row.state, 'PROCESSING');
      assert.equal(row.lease_owner, 'w1');
      assert.ok(Number(row.lease_until_ms) > (await table.clock()) + 50_000, 'the lease runs from the database clock');
      const second = await table.claim('w2', everyone, 10, 60_000);
      assert.deepEqual(
        second.map((t) => t.id),
        ids.slice(3),
      );
      assert.deepEqual(await table.claim('w3', everyone, 10, 60_000), []);
    });

    test('claim takes only its shard: id mod total', async () => {
      const table = await fresh();
      const ids = await enqueueScratch(orm.em, table.definition, 9);
      const shard1 = await table.claim('w', { index: 1, total: 3 }, 100, 60_000);
      assert.deepEqual(
        shard1.map((t) => t.id),
        ids.filter((id) => Number(id) % 3 === 1),
      );
    });

    test('a claimed task carries its payload as the queue decodes its row', async () => {
      const table = await fresh();
      await enqueueScratch(orm.em, table.definition, 2, 'clip');
      assert.deepEqual(
        (await table.claim('w1', everyone, 2, 60_000)).map((task) => task.payload),
        ['clip-0', 'clip-1'],
      );
    });

    test('a task whose row the queue cannot decode fails for good when claimed; the others are claimed', async () => {
      const queue = scratchQueue(`q${++n}`);
      await createScratchTables(orm.em, queue);
      const table = new TaskTable(orm.em.fork(), {
        ...queue,
        payloadOf: (row) => {
          if (row.payload === 'mangled-1') throw new Error('the payload is mangled');
          return String(row.payload);
        },
      });
      const ids = await enqueueScratch(orm.em, table.definition, 3, 'mangled');
      assert.deepEqual(
        (await table.claim('w1', everyone, 3, 60_000)).map((task) => task.id),
        [ids[0], ids[2]],
      );
      const row = await stateOf(table, ids[1]);
      assert.deepEqual([row.state, row.run_at_ms, row.lease_token], ['FAILED', null, null]);
      assert.equal(
        row.last_error,
        `Scratch task ${ids[1]} cannot be read (the payload is mangled); correct its row, then retry it.`,
      );
    });

    test('complete moves the task to the history with its work, only under its own lease', async () => {
      const table = await fresh();
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [task] = await table.claim('w1', everyone, 1, 60_000);
      await table.complete(task, async (tx) => {
        await tx
          .getConnection()
          .execute(
            `update ${table.definition.table} set payload = 'worked' where id = ?`,
            [id],
            'run',
            tx.getTransactionContext(),
          );
      });
      assert.equal(await stateOf(table, id), undefined);
      const [done] = await rows(table, 'select * from $h where id = ?', [id]);
      assert.equal(done.payload, 'worked', 'the work committed with the move');
      assert.equal(done.finished_by, 'w1');
      assert.equal(Number(done.attempts), 1);
      await assert.rejects(table.complete(task), LeaseLostError, 'completing twice finds no lease');
    });

    test('a worker whose lease was taken cannot complete, fail, renew or release: zero rows change', async () => {
      const table = await fresh();
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [stale] = await table.claim('stale', everyone, 1, 200);
      // Lets the 200 ms lease run out.
      await sleep(350);
      const [fresher] = await table.claim('fresh', everyone, 1, 60_000);
      assert.equal(fresher?.id, id, 'the expired lease made the task claimable');
      assert.equal(fresher.attempt, 2);
      let wrote = false;
      await assert.rejects(
        table.complete(stale, async () => {
          wrote = true;
        }),
        LeaseLostError,
      );
      assert.equal(wrote, false, 'the stale holder never reached its writes');
      assert.equal(await table.fail(stale, 'late failure', 10), false);
      assert.equal(await table.renew(stale, 60_000, 50), false);
      assert.equal(await table.release(stale), false);
      const row = await stateOf(table, id);
      assert.equal(row.lease_owner, 'fresh');
      assert.equal(row.last_error, null);
      assert.equal(row.progress, null);
      await table.complete(fresher);
      assert.equal((await rows(table, 'select * from $h')).length, 1);
    });

    test('completeMany finishes a batch in one go and leaves out tasks whose lease was lost', async () => {
      const table = await fresh();
      const ids = await enqueueScratch(orm.em, table.definition, 5);
      const first = await table.claim('w1', everyone, 2, 60_000);
      const second = await table.claim('w2', everyone, 3, 60_000);
      await table.cancel(second[0].id, 'Cancelled by admin-1');
      const finished = await table.completeMany([...first, ...second]);
      assert.deepEqual([...finished].sort(), [ids[0], ids[1], ids[3], ids[4]].sort());
      assert.equal((await rows(table, 'select * from $h')).length, 4);
      assert.equal((await stateOf(table, ids[2])).state, 'CANCELLED', 'the cancelled task stayed as it was');
      assert.deepEqual(await table.completeMany([...first, ...second]), new Set(), 'a second time finds no lease');
    });

    test('a rolled-back completion leaves the task leased and nothing written', async () => {
      const table = await fresh();
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [task] = await table.claim('w', everyone, 1, 60_000);
      await assert.rejects(
        table.complete(task, async (tx) => {
          await tx
            .getConnection()
            .execute(
              `update ${table.definition.table} set payload = 'half' where id = ?`,
              [id],
              'run',
              tx.getTransactionContext(),
            );
          throw new Error('boom');
        }),
        /boom/,
      );
      const row = await stateOf(table, id);
      assert.equal(row.state, 'PROCESSING');
      assert.equal(row.payload, 'noop-0');
      assert.equal((await rows(table, 'select * from $h')).length, 0);
    });

    test('renew extends the lease and stores progress', async () => {
      const table = await fresh();
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [task] = await table.claim('w', everyone, 1, 1_000);
      assert.equal(await table.renew(task, 60_000, 42), true);
      const row = await stateOf(table, id);
      assert.equal(Number(row.progress), 42);
      assert.ok(Number(row.lease_until_ms) > (await table.clock()) + 50_000);
    });

    test('failures retry after their backoff until the last attempt, then wait for a person', async () => {
      const table = await fresh(2);
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [first] = await table.claim('w', everyone, 1, 60_000);
      assert.equal(await table.fail(first, 'first failure', 300), true);
      let row = await stateOf(table, id);
      assert.equal(row.state, 'FAILED');
      assert.equal(row.last_error, 'first failure');
      assert.equal(row.lease_token, null);
      assert.deepEqual(await table.claim('w', everyone, 1, 60_000), [], 'not before its backoff');
      // Lets the 300 ms backoff pass.
      await sleep(400);
      const [second] = await table.claim('w', everyone, 1, 60_000);
      assert.equal(second.attempt, 2);
      assert.equal(await table.fail(second, 'second failure', 1), true);
      row = await stateOf(table, id);
      assert.equal(row.run_at_ms, null, 'no automatic attempt after the last');
      // Time in which a retry would have come due, to show none does.
      await sleep(50);
      assert.deepEqual(await table.claim('w', everyone, 1, 60_000), []);
      assert.deepEqual(await table.depth(), {
        pending: 0,
        processing: 0,
        retrying: 0,
        stopped: 1,
        oldestPendingAgeMs: 0,
      });
    });

    test('a permanent failure (no retry delay) stops at once', async () => {
      const table = await fresh(3);
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [task] = await table.claim('w', everyone, 1, 60_000);
      await table.fail(task, 'not a video');
      assert.equal((await stateOf(table, id)).run_at_ms, null);
    });

    test('a holder that stops renewing on the last attempt leaves the task failed, not processing forever', async () => {
      const table = await fresh(1);
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      await table.claim('crashed', everyone, 1, 100);
      // Lets the 100 ms lease run out.
      await sleep(200);
      assert.deepEqual(await table.claim('w', everyone, 1, 60_000), []);
      assert.equal(await table.failAbandoned(), 1);
      const row = await stateOf(table, id);
      assert.equal(row.state, 'FAILED');
      assert.match(row.last_error, /stopped/);
    });

    test('release gives the task back at once without counting the attempt', async () => {
      const table = await fresh();
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [task] = await table.claim('w', everyone, 1, 60_000);
      assert.equal(await table.release(task), true);
      const [again] = await table.claim('w2', everyone, 1, 60_000);
      assert.equal(again.id, id);
      assert.equal(again.attempt, 1);
    });

    test('defer gives the task back for a while without counting the attempt, and says why', async () => {
      // One attempt in all: a counted attempt would leave the task failed for good.
      const table = await fresh(1);
      const [id] = await enqueueScratch(orm.em, table.definition, 1);
      const [task] = await table.claim('w', everyone, 1, 60_000);
      assert.equal(await table.defer(task, 'cache stage: the cache is unreachable', 60_000), true);
      const row = await stateOf(table, id);
      assert.deepEqual(
        {
          state: row.state,
          attempts: Number(row.attempts),
          lastError: row.last_error,
          owner: row.lease_owner,
          token: row.lease_token,
        },
        { state: 'PENDING', attempts: 0, lastError: 'cache stage: the cache is unreachable', owner: null, token: null },
      );
      assert.deepEqual(await table.claim('w', everyone, 1, 60_000), [], 'not claimable before its delay');
      assert.equal(await table.defer(task, 'again', 0), false, 'only under its own lease');
      await rows(table, 'update $t set run_at_ms = 0 where id = ?', [id]);
      const [again] = await table.claim('w2', everyone, 1, 60_000);
      assert.equal(again.attempt, 1, 'the wait did not count');
    });

    test('cancel stops a task and takes its lease; retry queues it again from zero', async () => {
      const table = await fresh();
      const [running, waiting] = await enqueueScratch(orm.em, table.definition, 2);
      const [task] = await table.claim('w', everyone, 1, 60_000);
      await table.cancel(running, 'Cancelled by admin-1');
      await table.cancel(waiting, 'Cancelled by admin-1');
      assert.equal(await table.renew(task, 60_000), false, 'the worker learns at its next renewal');
      assert.equal((await stateOf(table, running)).state, 'CANCELLED');
      await assert.rejects(table.cancel(running, 'again'), appError('CONFLICT', /cancelled and cannot be cancelled/));
      await table.retry(running);
      const row = await stateOf(table, running);
      assert.equal(row.state, 'PENDING');
      assert.equal(Number(row.attempts), 0);
      await assert.rejects(table.retry(running), appError('CONFLICT', /pending and cannot be retried/));
      const [again] = await table.claim('w', everyone, 1, 60_000);
      await table.complete(again);
      await assert.rejects(table.retry(running), appError('CONFLICT', /already succeeded/));
      await assert.rejects(table.cancel('999999', 'x'), appError('NOT_FOUND', /Scratch task 999999 does not exist/));
    });

    test('depth counts tasks by state and the age of the oldest pending one', async () => {
      const table = await fresh();
      await enqueueScratch(orm.em, table.definition, 3);
      // Gives the oldest pending task an age to report.
      await sleep(30);
      await table.claim('w', everyone, 1, 60_000);
      const depth = await table.depth();
      assert.equal(depth.pending, 2);
      assert.equal(depth.processing, 1);
      assert.ok(
        depth.oldestPendingAgeMs >= 20 && depth.oldestPendingAgeMs < 60_000,
        `oldest pending age ${depth.oldestPendingAgeMs}`,
      );
    });

    test('a queue table gets statistics as soon as a burst of tasks arrives (PostgreSQL plans claims by them)', async () => {
      const table = await fresh();
      assert.equal(await table.refreshStatistics(), false, 'nothing to do on an empty table');
      await enqueueScratch(orm.em, table.definition, 150);
      if (factory.kind !== 'postgresql') {
        assert.equal(await table.refreshStatistics(), false, 'only PostgreSQL needs it');
        return;
      }
      // The statistics collector reports changes with a short delay.
      await waitUntil('the burst to be analyzed', () => table.refreshStatistics(), 5_000, undefined, 100);
      const [stats] = await rows(table, `select last_analyze from pg_stat_user_tables where relname = '$t'`);
      assert.ok(stats.last_analyze, 'analyzed');
      assert.equal(await table.refreshStatistics(), false, 'and not again until much has changed');
    });

    test('a claim takes no more tasks than asked, even after the table was analyzed while empty', async () => {
      const table = await fresh();
      await enqueueScratch(orm.em, table.definition, 100);
      for (let drained = false; !drained; ) {
        const tasks = await table.claim('drain', everyone, 50, 60_000);
        await table.completeMany(tasks);
        drained = tasks.length === 0;
      }
      // As refreshStatistics may after a drained burst: PostgreSQL then plans a nested loop that could run the locking subquery once per row.
      if (factory.kind === 'postgresql') await rows(table, 'analyze $t');
      await enqueueScratch(orm.em, table.definition, 200);
      assert.equal((await table.claim('w1', everyone, 4, 60_000)).length, 4);
      assert.equal((await table.claim('w2', { index: 1, total: 2 }, 3, 60_000)).length, 3);
      assert.equal(await table.depth().then((depth) => depth.processing), 7);
    });

    test('concurrent claimers never take the same task', async () => {
      const table = await fresh();
      await enqueueScratch(orm.em, table.definition, 300);
      const claimers = Array.from({ length: 6 }, (_, i) =>
        new TaskTable(orm.em.fork(), table.definition).claim(`w${i}`, everyone, 25, 60_000),
      );
      const taken: ClaimedTask[] = [];
      for (;;) {
        const batches = await Promise.all(
          claimers.map((_, i) => new TaskTable(orm.em.fork(), table.definition).claim(`w${i}`, everyone, 25, 60_000)),
        );
        const got = batches.flat();
        if (got.length === 0) break;
        taken.push(...got);
      }
      taken.push(...(await Promise.all(claimers)).flat());
      assert.equal(taken.length, 300);
      assert.equal(new Set(taken.map((t) => t.id)).size, 300);
    });
  });
}
