import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { EntityManager } from '@mikro-orm/core';
import type { Viewer } from '@learnhub/platform/auth';
import { anonymous } from '@learnhub/platform/auth';
import { AppError } from '@learnhub/platform/errors';
import { TaskTable, type ClaimedTask } from '@learnhub/platform/tasks';
import { appError } from '@learnhub/platform/testing';
import { migratedTestDatabase, testDatabases, type TestDatabaseFactory } from '@learnhub/platform/testing';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaProcess, transcodeTasks } from '../entities/media-process.entity';
import { mediaMigrations } from '../migrations/migrations';
import { MediaProcessRepository } from '../repositories/media-process.repository';
import { TranscodeTaskRepository } from '../repositories/transcode-task.repository';
import { mediaEntities } from '../entities/media-entities';
import { TranscodeTaskService, type TranscodeTaskView } from './transcode-task.service';

const root: Viewer = { userId: 'root', roles: ['admin'] };
const member: Viewer = { userId: 'u-1', roles: ['member'], organisationId: 'org-1' };
const firstPage = { offset: 0, limit: 20, page: 1, size: 20 };
const pageOf = (page: number, size: number) => ({ offset: (page - 1) * size, limit: size, page, size });
const MINUTE = 60_000;

/** Tasks in every state, made the way the merge and the jobs engine make them. */
function taskFixtures(factory: TestDatabaseFactory, db: { readonly orm: { em: EntityManager } }) {
  const table = () => new TaskTable(db.orm.em.fork(), transcodeTasks);
  const queued = async (label: string) => {
    const fileMd5 = createHash('md5').update(`${factory.kind}-${label}`).digest('hex');
    await new MediaProcessRepository(db.orm.em.fork()).enqueue({
      fileMd5,
      bucket: 'video',
      objectKey: `${fileMd5[0]}/${fileMd5[1]}/${fileMd5}/${fileMd5}.avi`,
    });
    const { id } = await db.orm.em.fork().findOneOrFail(MediaProcess, { fileMd5 });
    return { id: String(id), fileMd5 };
  };
  /** Held by worker-1 as a claim leaves it, with a lease for a minute. */
  const running = async (label: string, progress?: number) => {
    const task = await queued(label);
    const token = `worker-1:${label}`;
    const leaseUntilMs = Date.now() + MINUTE;
    await db.orm.em.fork().nativeUpdate(
      MediaProcess,
      { id: task.id },
      {
        state: TaskState.PROCESSING,
        attempts: 1,
        leaseOwner: 'worker-1',
        leaseToken: token,
        leaseUntilMs,
        runAtMs: leaseUntilMs,
        progress,
      },
    );
    const claimed: ClaimedTask = { id: task.id, token, attempt: 1, maxAttempts: 3, payload: undefined };
    return { ...task, claimed, leaseUntilMs };
  };
  return {
    table,
    queued,
    running,
    /** Failed, with an automatic retry due in a minute. */
    retrying: async (label: string) => {
      const task = await running(label);
      assert.equal(await table().fail(task.claimed, 'ffprobe timed out', MINUTE), true);
      return task;
    },
    /** Failed with no automatic attempt left: waits for a person. */
    failedForGood: async (label: string) => {
      const task = await running(label);
      assert.equal(await table().fail(task.claimed, 'ffmpeg exited with code 1: Invalid data found'), true);
      return task;
    },
    succeeded: async (label: string) => {
      const task = await running(label);
      await table().complete(task.claimed);
      return task;
    },
    cancelled: async (label: string) => {
      const task = await queued(label);
      await table().cancel(task.id, 'Cancelled by someone');
      return task;
    },
  };
}

for (const factory of testDatabases('transcode tasks')) {
  describe(`TranscodeTaskService lists tasks on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });
    const service = () =>
      new TranscodeTaskService(new TranscodeTaskRepository(db.orm.em.fork()), { notify: async () => {} });
    const tasks: Record<string, { id: string; fileMd5: string; leaseUntilMs?: number }> = {};
    let madeAt = 0;

    before(async () => {
      const make = taskFixtures(factory, db);
      madeAt = Date.now();
      // Made in this order, so ids ascend from A to H.
      tasks.A = await make.queued('A pending');
      tasks.B = await make.running('B running', 30);
      tasks.C = await make.retrying('C retrying');
      tasks.D = await make.failedForGood('D failed');
      tasks.E = await make.cancelled('E cancelled');
      tasks.F = await make.succeeded('F done');
      tasks.G = await make.succeeded('G done');
      tasks.H = await make.succeeded('H done');
    });

    const names = (items: TranscodeTaskView[]) =>
      items.map((item) => Object.keys(tasks).find((name) => tasks[name].id === item.id));

    test('with no state: live tasks newest first, then succeeded ones newest first, paged across both', async () => {
      const all = await service().list(root, {}, firstPage);
      assert.deepEqual(names(all.items), ['E', 'D', 'C', 'B', 'A', 'H', 'G', 'F']);
      assert.equal(all.total, 8);
      const pages = [];
      for (let page = 1; page <= 4; page++) pages.push(await service().list(root, {}, pageOf(page, 3)));
      assert.deepEqual(
        pages.map(({ items, total }) => [names(items), total]),
        [
          [['E', 'D', 'C'], 8],
          [['B', 'A', 'H'], 8],
          [['G', 'F'], 8],
          [[], 8],
        ],
      );
      assert.deepEqual(
        names((await service().list(root, {}, pageOf(2, 5))).items),
        ['H', 'G', 'F'],
        'a page that starts exactly at the history',
      );
      assert.deepEqual(
        names((await service().list(root, {}, pageOf(1, 5))).items),
        ['E', 'D', 'C', 'B', 'A'],
        'a page that ends exactly at the live tasks',
      );
    });

    test('by state: SUCCEEDED from the history, the others from the live table', async () => {
      const byState = async (state: TaskState, page = firstPage) => {
        const { items, total } = await service().list(root, { state }, page);
        return [names(items), total];
      };
      assert.deepEqual(await byState(TaskState.SUCCEEDED), [['H', 'G', 'F'], 3]);
      assert.deepEqual(await byState(TaskState.SUCCEEDED, pageOf(2, 2)), [['F'], 3]);
      assert.deepEqual(await byState(TaskState.PENDING), [['A'], 1]);
      assert.deepEqual(await byState(TaskState.PROCESSING), [['B'], 1]);
      assert.deepEqual(await byState(TaskState.FAILED), [['D', 'C'], 2]);
      assert.deepEqual(await byState(TaskState.CANCELLED), [['E'], 1]);
    });

    test('by file: its task wherever it lives; an MD5 in capitals is the same file; anything else is refused', async () => {
      const { items, total } = await service().list(root, { fileMd5: tasks.F.fileMd5.toUpperCase() }, firstPage);
      assert.deepEqual([names(items), total], [['F'], 1]);
      assert.deepEqual(names((await service().list(root, { fileMd5: tasks.A.fileMd5 }, firstPage)).items), ['A']);
      assert.equal(
        (await service().list(root, { fileMd5: tasks.A.fileMd5, state: TaskState.SUCCEEDED }, firstPage)).total,
        0,
      );
      await assert.rejects(service().list(root, { fileMd5: 'not-an-md5' }, firstPage), (error: unknown) => {
        appError('BAD_USER_INPUT', /fileMd5/)(error);
        assert.deepEqual(
          (error as AppError).details.fields?.map((f) => f.field),
          ['filter.fileMd5'],
        );
        return true;
      });
    });

    test('each task says where it stands', async () => {
      const before = Date.now();
      const { items } = await service().list(root, {}, firstPage);
      const after = Date.now();
      const of = (name: string) => items.find((item) => item.id === tasks[name].id)!;
      const near = (date: Date | undefined, ms: number, slack = 5_000) =>
        assert.ok(
          date && Math.abs(date.getTime() - ms) <= slack,
          `${date?.toISOString()} is not near ${new Date(ms).toISOString()}`,
        );

      const pending = of('A');
      assert.deepEqual(
        [pending.state, pending.attempts, pending.maxAttempts, pending.fileMd5],
        [TaskState.PENDING, 0, 3, tasks.A.fileMd5],
      );
      assert.ok(
        pending.nextAttemptAt && pending.nextAttemptAt.getTime() >= before && pending.nextAttemptAt.getTime() <= after,
        'a pending task is due now',
      );
      assert.deepEqual(
        [pending.leaseOwner, pending.leaseExpiresAt, pending.progress, pending.finishedAt],
        [undefined, undefined, undefined, undefined],
      );
      near(pending.createdAt, madeAt, 60_000);

      const running = of('B');
      assert.deepEqual(
        [running.state, running.attempts, running.progress, running.leaseOwner, running.nextAttemptAt],
        [TaskState.PROCESSING, 1, 30, 'worker-1', undefined],
      );
      assert.equal(running.leaseExpiresAt?.getTime(), tasks.B.leaseUntilMs);

      const retrying = of('C');
      assert.deepEqual(
        [retrying.state, retrying.lastError, retrying.leaseOwner, retrying.leaseExpiresAt],
        [TaskState.FAILED, 'ffprobe timed out', undefined, undefined],
      );
      near(retrying.nextAttemptAt, madeAt + MINUTE, 30_000);

      const failed = of('D');
      assert.deepEqual(
        [failed.state, failed.attempts, failed.nextAttemptAt],
        [TaskState.FAILED, 1, undefined],
        'failed for good: no automatic attempt',
      );
      assert.match(failed.lastError ?? '', /ffmpeg exited with code 1/);

      const cancelled = of('E');
      assert.deepEqual(
        [cancelled.state, cancelled.lastError, cancelled.nextAttemptAt],
        [TaskState.CANCELLED, 'Cancelled by someone', undefined],
      );

      const done = of('H');
      assert.deepEqual(
        [done.state, done.attempts, done.finishedBy, done.maxAttempts, done.lastError],
        [TaskState.SUCCEEDED, 1, 'worker-1', undefined, undefined],
      );
      near(done.finishedAt, after, 60_000);
    });

    test('only admins list tasks', async () => {
      await assert.rejects(service().list(member, {}, firstPage), appError('FORBIDDEN', /admin/));
      await assert.rejects(service().list(anonymous, {}, firstPage), appError('UNAUTHENTICATED'));
    });
  });

  describe(`TranscodeTaskService retries and cancels on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });
    const make = taskFixtures(factory, db);
    const wakeups: { queue: string; pending: string[] }[] = [];
    const wakeup = {
      /** Records which tasks a worker woken now would find waiting, on a connection of its own. */
      async notify(queue: string) {
        const tasks = await db.orm.em.fork().find(MediaProcess, { state: TaskState.PENDING }, { fields: ['id'] });
        wakeups.push({ queue, pending: tasks.map((task) => String(task.id)) });
      },
    };
    const service = () => new TranscodeTaskService(new TranscodeTaskRepository(db.orm.em.fork()), wakeup);
    const row = (id: string) => db.orm.em.fork().findOneOrFail(MediaProcess, { id });
    const refusedState = (state: string, verb: RegExp) => (error: unknown) => {
      appError('CONFLICT', verb)(error);
      assert.deepEqual([(error as AppError).details.reason, (error as AppError).details.state], ['TASK_STATE', state]);
      return true;
    };

    test('retry queues a task that failed for good, and one that was cancelled, afresh, and wakes the workers', async () => {
      for (const task of [await make.failedForGood('retry failed'), await make.cancelled('retry cancelled')]) {
        wakeups.length = 0;
        const retried = await service().retry(root, task.id);
        assert.deepEqual(
          [retried.id, retried.state, retried.attempts, retried.leaseOwner],
          [task.id, TaskState.PENDING, 0, undefined],
        );
        assert.ok(retried.nextAttemptAt, 'due now');
        const stored = await row(task.id);
        assert.deepEqual(
          [stored.state, stored.attempts, stored.leaseOwner, stored.leaseToken, stored.leaseUntilMs, stored.progress],
          [TaskState.PENDING, 0, null, null, null, null],
        );
        assert.ok(stored.runAtMs && Math.abs(stored.runAtMs - Date.now()) < 60_000, 'due now, by the database clock');
        assert.deepEqual(
          wakeups.map((w) => [w.queue, w.pending.includes(task.id)]),
          [['transcode', true]],
          'workers are woken once the task is claimable',
        );
      }
    });

    test('retry refuses a task that is waiting, running or done, with CONFLICT, and changes nothing', async () => {
      wakeups.length = 0;
      const pending = await make.queued('retry pending');
      await assert.rejects(
        service().retry(root, pending.id),
        refusedState('PENDING', /is pending and cannot be retried/),
      );
      const running = await make.running('retry running', 10);
      await assert.rejects(
        service().retry(root, running.id),
        refusedState('PROCESSING', /is processing and cannot be retried/),
      );
      assert.deepEqual(
        [(await row(running.id)).attempts, (await row(running.id)).leaseToken],
        [1, running.claimed.token],
      );
      const done = await make.succeeded('retry done');
      await assert.rejects(
        service().retry(root, done.id),
        refusedState('SUCCEEDED', /has already succeeded and cannot be retried/),
      );
      assert.equal(
        await db.orm.em.fork().count(MediaProcess, { id: done.id }),
        0,
        'a succeeded task stays in the history',
      );
      assert.deepEqual(wakeups, []);
    });

    test('cancel stops a pending task, and a running one whose worker loses its lease', async () => {
      const pending = await make.queued('cancel pending');
      const stopped = await service().cancel(root, pending.id);
      assert.deepEqual(
        [stopped.state, stopped.lastError, stopped.nextAttemptAt],
        [TaskState.CANCELLED, 'Cancelled by root', undefined],
      );

      const running = await make.running('cancel running', 60);
      const cancelled = await service().cancel(root, running.id);
      assert.deepEqual(
        [cancelled.state, cancelled.progress, cancelled.leaseOwner, cancelled.leaseExpiresAt],
        [TaskState.CANCELLED, undefined, undefined, undefined],
      );
      const stored = await row(running.id);
      assert.deepEqual(
        [stored.leaseOwner, stored.leaseToken, stored.leaseUntilMs, stored.runAtMs],
        [null, null, null, null],
      );
      assert.equal(await make.table().renew(running.claimed, MINUTE, 70), false, "the worker's next renewal fails");
      assert.equal((await row(running.id)).state, TaskState.CANCELLED);
    });

    test('cancel refuses a task that succeeded or is cancelled already, with CONFLICT', async () => {
      const done = await make.succeeded('cancel done');
      await assert.rejects(
        service().cancel(root, done.id),
        refusedState('SUCCEEDED', /has already succeeded and cannot be cancelled/),
      );
      const cancelled = await make.cancelled('cancel twice');
      await assert.rejects(
        service().cancel(root, cancelled.id),
        refusedState('CANCELLED', /is cancelled and cannot be cancelled/),
      );
    });

    test('an id no task has is NOT_FOUND; an id that is no row id is BAD_USER_INPUT naming the field', async () => {
      await assert.rejects(service().retry(root, '987654321'), appError('NOT_FOUND', /Transcoding task 987654321/));
      await assert.rejects(service().cancel(root, '987654321'), appError('NOT_FOUND', /Transcoding task 987654321/));
      // A service without a repository: the id is refused before anything is asked of the database.
      const offline = new TranscodeTaskService({} as TranscodeTaskRepository, wakeup);
      for (const id of ['', 'abc', '0', '-1', '1.5', '01', '1e3', '9'.repeat(19)]) {
        for (const call of [() => offline.retry(root, id), () => offline.cancel(root, id)]) {
          await assert.rejects(call, (error: unknown) => {
            appError('BAD_USER_INPUT', /id must be/)(error);
            assert.deepEqual((error as AppError).details.fields, [
              { field: 'id', message: 'must be a positive whole number' },
            ]);
            return true;
          });
        }
      }
    });

    test('only admins retry or cancel', async () => {
      const task = await make.failedForGood('not yours');
      for (const viewer of [member, { ...member, roles: ['auditor' as const] }]) {
        await assert.rejects(() => service().retry(viewer, task.id), appError('FORBIDDEN', /admin/));
        await assert.rejects(() => service().cancel(viewer, task.id), appError('FORBIDDEN', /admin/));
      }
      await assert.rejects(() => service().retry(anonymous, task.id), appError('UNAUTHENTICATED'));
      await assert.rejects(() => service().cancel(anonymous, task.id), appError('UNAUTHENTICATED'));
      assert.equal((await row(task.id)).state, TaskState.FAILED);
    });
  });
}
