import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Entity, Property } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { migratedTestDatabase, testDatabases } from '../testing/test-databases';
import { FinishedTask } from './finished-task.entity';
import { LeasedTask } from './leased-task.entity';
import { historyColumns, leaseColumns } from './task-columns';
import { TaskListing } from './task-listing';
import { TaskState } from './task-state';

/** A queue of its own over the base entities, as an owner declares one. */
@Entity({ tableName: 'chore' })
class Chore extends LeasedTask {
  @Property({ type: 'integer', fieldName: 'max_attempts' })
  maxAttempts: number = 4;

  @Property({ type: 'string', length: 32 })
  room!: string;
}

@Entity({ tableName: 'chore_history' })
class FinishedChore extends FinishedTask {
  @Property({ type: 'string', length: 32 })
  room!: string;
}

const ownFields = (chore: Chore | FinishedChore) => ({ room: chore.room });

for (const factory of testDatabases('task listing')) {
  describe(`TaskListing on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: [Chore, FinishedChore], migrations: [] });
    const listing = () =>
      new TaskListing<Chore, FinishedChore, { room: string }>(db.orm.em.fork(), {
        live: Chore,
        finished: FinishedChore,
        ownOfLive: ownFields,
        ownOfFinished: ownFields,
      });
    /** Live ids go on from the finished ones', as they do once tasks finish. */
    const ids = { waiting: '4', broken: '5', running: '6' };

    before(async () => {
      const knex = (db.orm.em as SqlEntityManager).getKnex();
      await knex.schema.createTable('chore', (t) => {
        t.bigIncrements('id').primary();
        t.string('room', 32).notNullable();
        t.string('state', 16).notNullable().defaultTo('PENDING');
        t.integer('attempts').notNullable().defaultTo(0);
        t.string('last_error', 2000).nullable();
        t.datetime('created_at').notNullable();
        leaseColumns(t, 'chore', 4);
      });
      await knex.schema.createTable('chore_history', (t) => {
        t.bigInteger('id').primary();
        t.string('room', 32).notNullable();
        historyColumns(t);
        t.datetime('created_at').notNullable();
      });
      const em = db.orm.em.fork();
      for (const [id, room] of [
        ['1', 'kitchen'],
        ['2', 'kitchen'],
        ['3', 'hall'],
      ]) {
        em.create(FinishedChore, {
          id,
          room,
          attempts: 1,
          finishedBy: 'w1',
          finishedAtMs: 1_000 + Number(id),
          createdAt: new Date(),
        });
      }
      em.create(Chore, { id: ids.waiting, room: 'kitchen' });
      em.create(Chore, { id: ids.broken, room: 'hall', state: TaskState.FAILED, lastError: 'no mop' });
      em.create(Chore, { id: ids.running, room: 'kitchen', state: TaskState.PROCESSING, leaseOwner: 'w2' });
      await em.flush();
    });

    test('live tasks newest first, then finished ones newest first, paged as one list', async () => {
      const pages = [];
      for (let offset = 0; offset < 6; offset += 2) {
        const [records, total] = await listing().page({}, offset, 2);
        pages.push([records.map((record) => `${record.state}:${record.id}`), total]);
      }
      assert.deepEqual(pages, [
        [[`PROCESSING:${ids.running}`, `FAILED:${ids.broken}`], 6],
        [[`PENDING:${ids.waiting}`, 'SUCCEEDED:3'], 6],
        [['SUCCEEDED:2', 'SUCCEEDED:1'], 6],
      ]);
    });

    test("a state picks its table; the owner's columns filter both", async () => {
      const ofRoom = async (room: string, state?: TaskState) => {
        const [records, total] = await listing().page({ state, where: { room } }, 0, 10);
        return [records.map((record) => record.id), total];
      };
      assert.deepEqual(await ofRoom('kitchen'), [[ids.running, ids.waiting, '2', '1'], 4]);
      assert.deepEqual(await ofRoom('kitchen', TaskState.SUCCEEDED), [['2', '1'], 2]);
      assert.deepEqual(await ofRoom('kitchen', TaskState.PROCESSING), [[ids.running], 1]);
      assert.deepEqual(await ofRoom('hall', TaskState.PENDING), [[], 0]);
    });

    test("a record carries the lease columns of its table and the owner's own", async () => {
      const broken = await listing().find(ids.broken);
      assert.deepEqual(broken && { ...broken, createdAt: undefined }, {
        id: ids.broken,
        state: TaskState.FAILED,
        attempts: 0,
        maxAttempts: 4,
        progress: undefined,
        lastError: 'no mop',
        leaseOwner: undefined,
        leaseUntilMs: undefined,
        runAtMs: 0,
        createdAt: undefined,
        room: 'hall',
      });
      const done = await listing().find('2');
      assert.deepEqual(done && { ...done, createdAt: undefined }, {
        id: '2',
        state: TaskState.SUCCEEDED,
        attempts: 1,
        finishedBy: 'w1',
        finishedAtMs: 1_002,
        createdAt: undefined,
        room: 'kitchen',
      });
      assert.equal(await listing().find('999'), undefined);
    });
  });
}
