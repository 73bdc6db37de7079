import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeaseLostError, TaskTable, type ClaimedTask } from '@learnhub/platform/tasks';
import { waitUntil } from '@learnhub/platform/testing';
import { createScratchTables, enqueueScratch, scratchQueue } from '@learnhub/platform/testing';
import { testDatabases } from '@learnhub/platform/testing';
import { inProcessEngines } from '../testing/in-process-engines';
import { sleep, uniqueQueueName } from '../testing/scratch-fleet';
import { backoffDelay, type BackoffPolicy } from '@learnhub/platform/tasks';
import { PermanentTaskError, type QueueProcessor, type TaskContext } from '@learnhub/platform/tasks';

describe('backoffDelay', () => {
  const policy: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };
  const ceiling = (attempt: number) => Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));

  test('equal jitter: between half and all of min(max, base·2^(attempt-1))', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const top = ceiling(attempt);
      assert.equal(
        backoffDelay(policy, attempt, () => 0),
        top / 2,
        `attempt ${attempt}, lowest`,
      );
      assert.equal(
        backoffDelay(policy, attempt, () => 0.5),
        (top * 3) / 4,
        `attempt ${attempt}, middle`,
      );
      assert.ok(Math.abs(backoffDelay(policy, attempt, () => 0.999999) - top) <= 1, `attempt ${attempt}, highest`);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(policy, attempt);
        assert.ok(Number.isInteger(delay), `${delay} is whole milliseconds`);
        assert.ok(delay >= top / 2 && delay <= top, `attempt ${attempt}: ${delay} outside [${top / 2}, ${top}]`);
      }
    }
  });

  test('doubles with each attempt until the cap, and never exceeds it however many attempts', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(policy, attempt, () => 0)),
      [50, 100, 200, 400, 800, 1_600, 2_500],
    );
    for (const attempt of [20, 64, 1_100, 5_000]) {
      const delay = backoffDelay(policy, attempt);
      assert.ok(delay >= 2_500 && delay <= 5_000, `attempt ${attempt}: ${delay}`);
    }
  });

  test('an attempt number below one is treated as the first', () => {
    assert.equal(
      backoffDelay(policy, 0, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(policy, -3, () => 1),
      100,
    );
  });
});

for (const factory of testDatabases('retries and backoff')) {
  describe(`retries, failures and cancellation in an engine on ${factory.kind}`, () => {
    const local = inProcessEngines(factory, 'rb');
    /** An engine working a fresh queue with `process`; short heartbeat, poll and lease. */
    const engineFor = (process: QueueProcessor['process'], maxAttempts: number, backoff: BackoffPolicy) =>
      local.start(process, { maxAttempts, concurrency: 2, lease: { leaseMs: 3_000, renewEveryMs: 100, backoff } });

    test('a task failing its first two attempts is retried after its backoff and succeeds on the third', {
      timeout: 30_000,
    }, async () => {
      const seen: Array<{ attempt: number; at: number; lastError: unknown }> = [];
      const backoff = { baseMs: 300, maxMs: 10_000 };
      let rowsOf: (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>> = async () => [];
      const { queue, rows, metric } = await engineFor(
        async (task: ClaimedTask) => {
          const [row] = await rowsOf('select last_error from $t where id = ?', [task.id]);
          seen.push({ attempt: task.attempt, at: Date.now(), lastError: row?.last_error });
          if (task.attempt < 3) throw new Error(`transient failure ${task.attempt}`);
        },
        5,
        backoff,
      );
      rowsOf = rows;
      const [id] = await enqueueScratch(local.orm.em, queue, 1);
      await waitUntil(
        'the task to succeed',
        async () => (await rows('select id from $h')).length === 1,
        20_000,
        async () => JSON.stringify({ seen, live: await rows('select * from $t') }),
      );

      assert.deepEqual(
        seen.map((s) => s.attempt),
        [1, 2, 3],
      );
      assert.deepEqual(
        seen.map((s) => s.lastError),
        [null, 'transient failure 1', 'transient failure 2'],
        'each retry runs with the previous failure recorded',
      );
      // Lower bounds only: each retry waited at least half its backoff ceiling (300 ms, then 600 ms).
      assert.ok(seen[1].at - seen[0].at >= 150 - 20, `first retry after ${seen[1].at - seen[0].at} ms`);
      assert.ok(seen[2].at - seen[1].at >= 300 - 20, `second retry after ${seen[2].at - seen[1].at} ms`);
      const [done] = await rows('select id, attempts, finished_by from $h');
      assert.equal(String(done.id), id);
      assert.equal(Number(done.attempts), 3);
      assert.equal(done.finished_by, 'rb-worker');
      assert.equal((await rows('select id from $t')).length, 0);
      assert.equal(await metric('failed'), 2);
      assert.equal(await metric('succeeded'), 1);
    });

    test('a task that always fails ends FAILED after its last attempt, kept for a person, and is not claimed again', {
      timeout: 30_000,
    }, async () => {
      let calls = 0;
      const { queue, table, rows, metric } = await engineFor(
        async (task) => {
          calls++;
          throw new Error(`always failing, attempt ${task.attempt}`);
        },
        3,
        { baseMs: 40, maxMs: 100 },
      );
      const [id] = await enqueueScratch(local.orm.em, queue, 1);
      await waitUntil('three attempts', () => calls >= 3, 10_000);
      const failed = await waitUntil(
        'the last failure to be recorded',
        async () => {
          const [row] = await rows('select * from $t where id = ?', [id]);
          return row?.state === 'FAILED' && Number(row.attempts) === 3 ? row : undefined;
        },
        10_000,
      );
      // Twenty polls and ten heartbeats later, still nobody took it.
      await sleep(1_000);
      assert.equal(calls, 3);
      const [row] = await rows('select * from $t where id = ?', [id]);
      assert.deepEqual(row, failed, 'nothing changed since');
      assert.equal(row.state, 'FAILED');
      assert.equal(Number(row.attempts), 3);
      assert.equal(Number(row.max_attempts), 3);
      assert.equal(row.run_at_ms, null, 'no automatic attempt follows');
      assert.equal(row.last_error, 'always failing, attempt 3');
      assert.equal(row.lease_owner, null);
      assert.equal(row.lease_token, null);
      assert.equal((await rows('select id from $h')).length, 0);
      assert.deepEqual(await table.depth(), {
        pending: 0,
        processing: 0,
        retrying: 0,
        stopped: 1,
        oldestPendingAgeMs: 0,
      });
      assert.equal(await metric('failed'), 3);
      assert.equal(await metric('succeeded'), 0);
    });

    test('a PermanentTaskError fails the task for good after one attempt', { timeout: 30_000 }, async () => {
      let calls = 0;
      const { queue, rows } = await engineFor(
        async () => {
          calls++;
          throw new PermanentTaskError('not a video');
        },
        3,
        { baseMs: 40, maxMs: 100 },
      );
      const [id] = await enqueueScratch(local.orm.em, queue, 1);
      const failed = await waitUntil(
        'the failure to be recorded',
        async () => {
          const [row] = await rows('select * from $t where id = ?', [id]);
          return row?.state === 'FAILED' ? row : undefined;
        },
        10_000,
      );
      // Time in which a retry would start, to show none does.
      await sleep(700);
      assert.equal(calls, 1);
      assert.deepEqual((await rows('select * from $t where id = ?', [id]))[0], failed);
      assert.equal(Number(failed.attempts), 1);
      assert.equal(failed.run_at_ms, null);
      assert.equal(failed.last_error, 'not a video');
      assert.equal(failed.lease_token, null);
    });

    for (const ending of ['rejects with the abort reason', 'returns quietly'] as const) {
      test(`a task cancelled while running sees its signal abort with a LeaseLostError, ${ending}, and the engine records nothing more`, {
        timeout: 30_000,
      }, async () => {
        let calls = 0;
        let started = false;
        let reason: unknown;
        const { queue, table, rows, metric } = await engineFor(
          (_task, context: TaskContext) =>
            new Promise<void>((resolve, reject) => {
              calls++;
              started = true;
              context.signal.addEventListener('abort', () => {
                reason = context.signal.reason;
                if (ending === 'returns quietly') resolve();
                else reject(context.signal.reason);
              });
            }),
          3,
          { baseMs: 40, maxMs: 100 },
        );
        const [id] = await enqueueScratch(local.orm.em, queue, 1);
        await waitUntil('the task to start', () => started, 10_000);
        await table.cancel(id, 'Cancelled by admin-1');
        await waitUntil('the signal to abort', () => reason !== undefined, 5_000);
        assert.ok(reason instanceof LeaseLostError, `aborted with ${String(reason)}`);

        // Time in which a restart would come, to show none does.
        await sleep(700);
        assert.equal(calls, 1, 'not started again');
        const [row] = await rows('select * from $t where id = ?', [id]);
        assert.equal(row.state, 'CANCELLED');
        assert.equal(row.last_error, 'Cancelled by admin-1', 'the cancellation is not overwritten by a failure');
        assert.equal(Number(row.attempts), 1);
        assert.equal(row.run_at_ms, null);
        assert.equal(row.lease_owner, null);
        assert.equal(row.lease_token, null);
        assert.equal(row.progress, null);
        assert.equal((await rows('select id from $h')).length, 0, 'not completed');
        assert.equal(await metric('leaseLost'), 1);
        assert.equal(await metric('failed'), 0);
        assert.equal(await metric('succeeded'), 0);
      });
    }

    test('cancels and lease renewals do not fail while the workers’ heartbeats sweep for abandoned tasks', {
      timeout: 30_000,
    }, async () => {
      // Every worker's heartbeat runs failAbandoned() on the whole queue; people cancel and holders renew meanwhile.
      const queue = scratchQueue(uniqueQueueName('hb'));
      await createScratchTables(local.orm.em, queue, 3);
      await enqueueScratch(local.orm.em, queue, 40);
      const held = await new TaskTable(local.orm.em.fork(), queue).claim('holder', { index: 0, total: 1 }, 40, 60_000);
      assert.equal(held.length, 40);
      const errors: string[] = [];
      const until = Date.now() + 2_000;
      const loop = async (what: string, step: () => Promise<unknown>) => {
        while (Date.now() < until) {
          await step().catch((error: Error & { code?: string }) =>
            errors.push(`${what}: ${error.code ?? error.message.slice(0, 120)}`),
          );
        }
      };
      const table = () => new TaskTable(local.orm.em.fork(), queue);
      const sweepers = Array.from({ length: 4 }, (_, i) => {
        const t = table();
        return loop(`heartbeat ${i} failAbandoned`, () => t.failAbandoned());
      });
      const renewers = Array.from({ length: 3 }, (_, i) => {
        const t = table();
        const mine = held.slice(i * 10, i * 10 + 10);
        return loop(`renew`, async () => {
          for (const task of mine)
            if (!(await t.renew(task, 60_000))) throw new Error(`task ${task.id} lost its lease`);
        });
      });
      const canceller = (async () => {
        const t = table();
        for (const task of held.slice(30)) {
          await t
            .cancel(task.id, 'Cancelled by admin-1')
            .catch((error: Error & { code?: string }) =>
              errors.push(`cancel: ${error.code ?? error.message.slice(0, 120)}`),
            );
          // Spreads the cancellations over the sweeps and renewals they race.
          await sleep(100);
        }
      })();
      await Promise.all([...sweepers, ...renewers, canceller]);
      const tally = [...new Set(errors)].map((e) => `${errors.filter((x) => x === e).length} × ${e}`);
      assert.deepEqual(tally, [], `${errors.length} statements failed`);
      const states = await local.orm.em
        .getConnection()
        .execute(`select state, count(*) as n from ${queue.table} group by state order by state`);
      assert.deepEqual(
        states.map((r: Record<string, unknown>) => [r.state, Number(r.n)]),
        [
          ['CANCELLED', 10],
          ['PROCESSING', 30],
        ],
      );
    });
  });
}
