import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '@learnhub/platform/database';
import { TaskTable } from '@learnhub/platform/tasks';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaProcess, transcodeTasks } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';
import { mediaEntities } from '../entities/media-entities';
import { mediaMigrations } from './migrations';

const createdAt = new Date('2024-05-01T08:30:00Z');

/** Tasks the original kind of worker left behind, one of each state. */
const legacy = [
  { md5: 'a'.repeat(32), state: 'PENDING', attempts: 0 },
  { md5: 'b'.repeat(32), state: 'PROCESSING', attempts: 1 },
  { md5: 'c'.repeat(32), state: 'FAILED', attempts: 1 },
  { md5: 'd'.repeat(32), state: 'FAILED', attempts: 3 },
  { md5: 'e'.repeat(32), state: 'SUCCEEDED', attempts: 2 },
  { md5: 'f'.repeat(32), state: 'PROCESSING', attempts: 3 },
];

for (const factory of testDatabases('media migration 0003')) {
  describe(`migration 0003 carries transcoding tasks over to leases on ${factory.kind}`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    const ids = new Map<string, string>();

    before(async () => {
      database = await factory.create();
      orm = await openDatabase({
        url: database.url,
        entities: mediaEntities,
        migrations: mediaMigrations,
        migrate: false,
      });
      await orm.getMigrator().up({ to: '0002-create-upload-tables' });
      const connection = orm.em.getConnection();
      for (const task of legacy) {
        await connection.execute(
          'insert into media_process (file_md5, bucket, object_key, state, attempts, last_error, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
          [
            task.md5,
            'video',
            `${task.md5}.avi`,
            task.state,
            task.attempts,
            task.state === 'FAILED' ? 'ffmpeg failed' : null,
            createdAt,
            createdAt,
          ],
        );
        const [row] = await connection.execute<{ id: unknown }[]>('select id from media_process where file_md5 = ?', [
          task.md5,
        ]);
        ids.set(task.md5, String(row.id));
      }
      await orm.getMigrator().up();
    });
    after(async () => {
      await orm?.close();
      await database?.drop();
    });

    test('waiting tasks and tasks a worker held become claimable; a task on its last attempt waits for a person', async () => {
      const tasks = await orm.em.fork().find(MediaProcess, {}, { orderBy: { fileMd5: 'asc' } });
      assert.deepEqual(
        tasks.map((task) => [
          task.fileMd5[0],
          task.state,
          task.attempts,
          task.maxAttempts,
          task.runAtMs,
          task.leaseToken,
        ]),
        [
          ['a', TaskState.PENDING, 0, 3, 0, null],
          ['b', TaskState.PROCESSING, 1, 3, 0, null],
          ['c', TaskState.FAILED, 1, 3, 0, null],
          ['d', TaskState.FAILED, 3, 3, null, null],
          ['f', TaskState.PROCESSING, 3, 3, 0, null],
        ],
      );
      const table = new TaskTable(orm.em.fork(), transcodeTasks);
      const claimed = await table.claim('worker-after-upgrade', { index: 0, total: 1 }, 10, 60_000);
      assert.deepEqual(
        claimed.map((task) => task.id),
        ['a', 'b', 'c'].map((letter) => ids.get(letter.repeat(32))),
      );
      assert.equal(
        await table.failAbandoned(),
        1,
        'the task a worker held on its last attempt is failed for a person to see',
      );
      assert.equal(
        (await orm.em.fork().findOneOrFail(MediaProcess, { fileMd5: 'f'.repeat(32) })).state,
        TaskState.FAILED,
      );
    });

    test('succeeded tasks move to the history with their id, attempts and creation time', async () => {
      const history = await orm.em.fork().find(MediaProcessHistory, {});
      assert.deepEqual(
        history.map((task) => [task.id, task.fileMd5, task.attempts, task.finishedBy, task.createdAt.toISOString()]),
        [[ids.get('e'.repeat(32)), 'e'.repeat(32), 2, 'before-leases', createdAt.toISOString()]],
      );
      assert.ok(history[0].finishedAtMs > createdAt.getTime());
    });
  });
}
