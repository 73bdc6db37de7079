import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '@learnhub/platform/database';
import { sqlRows } from '@learnhub/platform/database';
import { TaskTable } from '@learnhub/platform/tasks';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { contentEntities } from '../entities/content-entities';
import { TaskState } from '@learnhub/platform/tasks';
import { OutboxMessage, outboxMessages, StageState } from '../entities/outbox-message.entity';
import { OutboxMessageHistory } from '../entities/outbox-message-history.entity';
import { OutboxMessageRepository } from '../repositories/outbox-message.repository';
import { contentMigrations } from './migrations';

const createdAt = new Date('2024-05-01T08:30:00Z');
const { PENDING, DONE, SKIPPED } = StageState;

/** Messages the column-per-stage outbox left behind: waiting, held by a worker between stages, waiting for a retry, finished. */
const live = [
  { course: '11', state: 'PENDING', attempts: 0, stages: [PENDING, PENDING, PENDING] },
  { course: '12', state: 'PROCESSING', attempts: 1, stages: [DONE, PENDING, PENDING] },
  { course: '13', state: 'FAILED', attempts: 2, stages: [DONE, DONE, PENDING] },
];
const finished = [{ id: '7', course: '14', stages: [DONE, DONE, SKIPPED] }];

const listOf = ([page, search, cache]: StageState[]) => [
  { name: 'page', state: page },
  { name: 'search', state: search },
  { name: 'cache', state: cache },
];

for (const factory of testDatabases('content migration 0006')) {
  describe(`migration 0006 carries each outbox message's stage columns into its list of stages on ${factory.kind}`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    const ids = new Map<string, string>();

    before(async () => {
      database = await factory.create();
      orm = await openDatabase({
        url: database.url,
        entities: contentEntities,
        migrations: contentMigrations,
        migrate: false,
      });
      await orm.getMigrator().up({ to: '0005-add-media-usage-indexes' });
      const connection = orm.em.getConnection();
      for (const message of live) {
        const [page, search, cache] = message.stages;
        await connection.execute(
          `insert into mq_message (message_type, business_key1, business_key2, business_key3, state, attempts, run_at_ms, lease_owner, lease_token, lease_until_ms,
             stage_page, stage_search, stage_cache, last_error, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            'course_publish',
            message.course,
            '1',
            'PUBLISH',
            message.state,
            message.attempts,
            0,
            // The worker holding this one stopped with the upgrade: its lease has run out.
            ...(message.state === 'PROCESSING' ? ['old-worker', 'old-token', 0] : [null, null, null]),
            page,
            search,
            cache,
            message.state === 'FAILED' ? 'cache stage: the cache is unreachable' : null,
            createdAt,
          ],
        );
        const [row] = await connection.execute<{ id: unknown }[]>('select id from mq_message where business_key1 = ?', [
          message.course,
        ]);
        ids.set(message.course, String(row.id));
      }
      for (const message of finished) {
        const [page, search, cache] = message.stages;
        await connection.execute(
          `insert into mq_message_history (id, message_type, business_key1, business_key2, business_key3, stage_page, stage_search, stage_cache, last_result,
             attempts, finished_by, finished_at_ms, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            message.id,
            'course_publish',
            message.course,
            '1',
            'PUBLISH',
            page,
            search,
            cache,
            'cache: no cache is configured (REDIS_URL)',
            1,
            'old-worker',
            1_714_552_300_000,
            createdAt,
          ],
        );
      }
      await orm.getMigrator().up();
    });
    after(async () => {
      await orm?.close();
      await database?.drop();
    });

    test('live and finished messages keep each stage state, in the old order; the stage columns are gone', async () => {
      const messages = await orm.em.fork().find(OutboxMessage, {}, { orderBy: { businessKey1: 'asc' } });
      assert.deepEqual(
        messages.map((message) => [message.businessKey1, message.stages]),
        live.map((message) => [message.course, listOf(message.stages)]),
      );
      const history = await orm.em.fork().find(OutboxMessageHistory, {});
      assert.deepEqual(
        history.map((message) => [message.id, message.stages]),
        finished.map((message) => [message.id, listOf(message.stages)]),
      );
      for (const table of [outboxMessages.table, outboxMessages.historyTable]) {
        const [row] = await sqlRows(orm.em.fork(), `select * from ${table}`, []);
        assert.deepEqual(
          Object.keys(row).filter((column) => column.startsWith('stage')),
          ['stages'],
          `${table} keeps one stages column`,
        );
      }
    });

    test('admins list the stages of live and finished messages alike', async () => {
      const [records] = await new OutboxMessageRepository(orm.em.fork()).page({}, 0, 10);
      assert.deepEqual(
        records.map((record) => [record.businessKey1, record.state, record.stages]),
        [
          ['13', TaskState.FAILED, listOf([DONE, DONE, PENDING])],
          ['12', TaskState.PROCESSING, listOf([DONE, PENDING, PENDING])],
          ['11', TaskState.PENDING, listOf([PENDING, PENDING, PENDING])],
          ['14', TaskState.SUCCEEDED, listOf([DONE, DONE, SKIPPED])],
        ],
      );
    });

    test('a message a worker held between stages is claimed with its finished stage, and moves to the history with its stages', async () => {
      const table = new TaskTable(orm.em.fork(), outboxMessages);
      const claimed = await table.claim('worker-after-upgrade', { index: 0, total: 1 }, 10, 60_000);
      const held = claimed.find((task) => task.id === ids.get('12'));
      assert.ok(held, 'the message whose lease ran out is claimable');
      assert.deepEqual(held.payload.stages, listOf([DONE, PENDING, PENDING]));
      assert.deepEqual([...(await table.completeMany([held]))], [held.id]);
      const moved = await orm.em.fork().findOneOrFail(OutboxMessageHistory, { id: held.id });
      assert.deepEqual(moved.stages, listOf([DONE, PENDING, PENDING]));
    });
  });
}
