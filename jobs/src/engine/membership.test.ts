import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { Redis } from 'ioredis';
import { openDatabase } from '@learnhub/platform/database';
import { waitUntil } from '@learnhub/platform/testing';
import { RedisLink } from '@learnhub/platform/redis';
import { TaskTable, type TaskTableDefinition } from '@learnhub/platform/tasks';
import { backendUrl } from '@learnhub/platform/testing';
import { createScratchTables, enqueueScratch, scratchQueue } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { ScratchRig, sleep } from '../testing/scratch-fleet';
import { DatabaseMembership } from './database-membership';
import { ensureEngineTables } from './engine-tables';
import type { Membership } from './membership';
import { RedisMembership } from './redis-membership';
import { ownerOf, shardOf } from './shard';

const freshGroup = () => `test-${randomBytes(5).toString('hex')}`;

/** 1,000 task ids: small ones, and ones past 2^32 so the modulo is checked on big integers too. */
const TASK_IDS = [
  ...Array.from({ length: 500 }, (_, i) => i + 1),
  ...Array.from({ length: 500 }, (_, i) => 2 ** 33 + 7 + i * 13),
];

/** What every membership must do, whatever keeps it. */
function beatLeaveTtl(make: () => Membership) {
  test('beat lists the live members, sorted, once each; groups are apart', async () => {
    const [one, two] = [make(), make()];
    try {
      const g = freshGroup();
      assert.deepEqual(await one.beat(g, 'w2', 5_000), ['w2']);
      assert.deepEqual(await two.beat(g, 'w1', 5_000), ['w1', 'w2'], 'a second process sees the first');
      assert.deepEqual(await one.beat(g, 'w2', 5_000), ['w1', 'w2'], 'beating again adds no duplicate');
      assert.deepEqual(await one.beat(`${g}-other`, 'x', 5_000), ['x'], 'another group has its own members');
      assert.deepEqual(await two.beat(g, 'w1', 5_000), ['w1', 'w2']);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  test('leave removes the member at once; leaving twice or as a stranger is harmless', async () => {
    const m = make();
    try {
      const g = freshGroup();
      await m.beat(g, 'a', 5_000);
      await m.beat(g, 'b', 5_000);
      await m.leave(g, 'a');
      assert.deepEqual(await m.beat(g, 'b', 5_000), ['b']);
      await m.leave(g, 'a');
      await m.leave(g, 'stranger');
      assert.deepEqual(await m.beat(g, 'b', 5_000), ['b']);
      await m.leave(g, 'b');
      assert.deepEqual(await m.beat(g, 'c', 5_000), ['c'], 'the last member left: the group is empty');
    } finally {
      await m.close();
    }
  });

  test('a member silent for longer than the time-to-live is no longer listed, and is again once it beats', async () => {
    const m = make();
    try {
      const g = freshGroup();
      await m.beat(g, 'quiet', 400);
      assert.deepEqual(await m.beat(g, 'busy', 400), ['busy', 'quiet'], 'within its time-to-live it counts');
      // Lets quiet's 400 ms time-to-live pass.
      await sleep(600);
      assert.deepEqual(await m.beat(g, 'busy', 400), ['busy']);
      assert.deepEqual(await m.beat(g, 'quiet', 400), ['busy', 'quiet']);
    } finally {
      await m.close();
    }
  });
}

/**
 * Drives a group through joins, graceful leaves and an expiry, and at each step checks that the
 * members' shards split every task id between the live members with no overlap and no gap, as
 * `shardOf`, `ownerOf` and (when given) the claim's SQL filter each compute it.
 */
function shardCoverage(
  make: () => Membership,
  sqlClaims?: () => (member: string, shard: { index: number; total: number }) => Promise<string[]>,
) {
  test('as members join, leave and expire, every task id belongs to exactly one live member', {
    timeout: 60_000,
  }, async () => {
    const TTL = 800;
    const g = freshGroup();
    const memberships = new Map<string, Membership>();
    const of = (id: string) => {
      if (!memberships.has(id)) memberships.set(id, make());
      return memberships.get(id)!;
    };
    /** Every live member beats twice (the first round refreshes everyone); the second round's lists are the views. */
    const settle = async (live: string[]) => {
      for (const id of live) await of(id).beat(g, id, TTL);
      const views = new Map<string, string[]>();
      for (const id of live) views.set(id, await of(id).beat(g, id, TTL));
      return views;
    };
    const check = async (step: string, live: string[]) => {
      const views = await settle(live);
      const expected = [...live].sort();
      for (const [id, view] of views) assert.deepEqual(view, expected, `${step}: ${id} sees the live members`);
      const shards = live.map((id) => ({ id, shard: shardOf(views.get(id)!, id) }));
      for (const { id, shard } of shards)
        assert.ok(shard && shard.total === live.length, `${step}: ${id} has a shard of ${live.length}`);
      assert.equal(new Set(shards.map((s) => s.shard!.index)).size, live.length, `${step}: shard indexes are distinct`);
      for (const taskId of TASK_IDS) {
        const holders = shards.filter(({ shard }) => taskId % shard!.total === shard!.index).map((s) => s.id);
        assert.equal(
          holders.length,
          1,
          `${step}: task ${taskId} belongs to ${holders.length} members (${holders.join(', ')})`,
        );
        assert.equal(
          holders[0],
          ownerOf(taskId, views.get(holders[0])!),
          `${step}: task ${taskId}: ownerOf agrees with the shard filter`,
        );
        assert.equal(ownerOf(String(taskId), expected), holders[0], `${step}: every member computes the same owner`);
      }
      if (sqlClaims) {
        const claim = sqlClaims();
        const claimed = new Map<string, string>();
        for (const { id, shard } of shards) {
          for (const taskId of await claim(id, shard!)) {
            assert.equal(
              claimed.get(taskId),
              undefined,
              `${step}: task ${taskId} claimed by ${claimed.get(taskId)} and ${id}`,
            );
            claimed.set(taskId, id);
            assert.equal(ownerOf(taskId, expected), id, `${step}: the SQL filter gave task ${taskId} to ${id}`);
          }
        }
        assert.equal(claimed.size, TASK_IDS.length, `${step}: the members' claims cover every task`);
      }
    };
    try {
      await check('a starts alone', ['a']);
      await check('b and c join', ['a', 'b', 'c']);
      await check('d joins', ['a', 'b', 'c', 'd']);
      await of('b').leave(g, 'b');
      await check('b leaves gracefully', ['a', 'c', 'd']);
      // c stops beating (crashed): the others keep counting it until its time-to-live passes.
      assert.deepEqual(await of('a').beat(g, 'a', TTL), ['a', 'c', 'd']);
      await sleep(TTL + 400);
      await check('c expires', ['a', 'd']);
      await of('a').leave(g, 'a');
      await check('e joins as a leaves', ['d', 'e']);
      await check('c comes back', ['c', 'd', 'e']);
      for (const id of ['c', 'd', 'e']) await of(id).leave(g, id);
      assert.deepEqual(await of('z').beat(g, 'z', TTL), ['z'], 'everyone left');
    } finally {
      await Promise.all([...memberships.values()].map((m) => m.close()));
    }
  });
}

for (const factory of testDatabases('job membership')) {
  describe(`DatabaseMembership on ${factory.kind}`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    const queue: TaskTableDefinition = scratchQueue('shards');

    before(async () => {
      database = await factory.create();
      orm = await openDatabase({ url: database.url, entities: [], migrations: [] });
      await ensureEngineTables(orm.em);
      await ensureEngineTables(orm.em);
      await createScratchTables(orm.em, queue);
      const knex = (orm.em as SqlEntityManager).getKnex();
      for (let i = 0; i < TASK_IDS.length; i += 250) {
        await knex(queue.table).insert(
          TASK_IDS.slice(i, i + 250).map((id) => ({
            id,
            payload: `p${id}`,
            state: 'PENDING',
            attempts: 0,
            run_at_ms: 0,
            created_at: Date.now(),
          })),
        );
      }
    });
    after(async () => {
      await orm?.close();
      await database?.drop();
    });

    beatLeaveTtl(() => new DatabaseMembership(orm.em));

    test('the member beating is in its own view however long its statements took', async () => {
      const m = new DatabaseMembership(orm.em);
      const g = freshGroup();
      // A time-to-live of 0 ms stands for a machine so loaded that the beat's read comes after its own write expired.
      await m.beat(g, 'other', 60_000);
      for (let i = 0; i < 5; i++) assert.deepEqual(await m.beat(g, 'slow', 0), ['slow']);
    });

    test('members long gone (ten times the time-to-live) are deleted by the next beat', async () => {
      const m = new DatabaseMembership(orm.em);
      const g = freshGroup();
      await m.beat(g, 'gone', 30);
      await m.beat(g, 'stays', 30);
      // Lets gone's 30 ms time-to-live pass.
      await sleep(400);
      assert.deepEqual(await m.beat(g, 'stays', 30), ['stays']);
      const rows = await orm.em
        .getConnection()
        .execute('select worker_id from job_workers where member_group = ?', [g]);
      assert.deepEqual(
        rows.map((r: { worker_id: string }) => r.worker_id),
        ['stays'],
      );
    });

    shardCoverage(
      () => new DatabaseMembership(orm.em),
      () => {
        const reset = orm.em
          .getConnection()
          .execute(
            `update ${queue.table} set state = 'PENDING', attempts = 0, lease_owner = null, lease_token = null, lease_until_ms = null, run_at_ms = 0`,
          );
        return async (member, shard) => {
          await reset;
          const tasks = await new TaskTable(orm.em.fork(), queue).claim(member, shard, 10_000, 60_000);
          return tasks.map((t) => t.id);
        };
      },
    );
  });
}

const redisUrl = backendUrl('redis', 'job membership');
if (redisUrl) {
  const redisMembership = () =>
    new RedisMembership(
      new RedisLink(redisUrl, { use: 'membership', keyPrefix: 'membership-test:', timeoutMs: 2_000, retryMs: 1_000 }),
    );
  describe('RedisMembership', () => {
    beatLeaveTtl(redisMembership);

    test('a group’s key, under REDIS_KEY_PREFIX, expires on its own ten times the time-to-live after the last beat', async () => {
      const m = redisMembership();
      const redis = new Redis(redisUrl);
      try {
        const g = freshGroup();
        await m.beat(g, 'a', 500);
        const ttl = await redis.pttl(`membership-test:jobs:members:${g}`);
        assert.ok(ttl > 0 && ttl <= 5_000, `pttl ${ttl}`);
        await m.leave(g, 'a');
      } finally {
        await m.close();
        redis.disconnect();
      }
    });

    shardCoverage(redisMembership);
  });
}

/**
 * The same with worker processes: workers join while tasks keep coming, one stops gracefully and
 * one is killed while holding tasks; in the end every task has completed exactly once.
 */
for (const factory of testDatabases('job membership with worker processes')) {
  for (const membership of ['database', 'redis'] as const) {
    const redis = membership === 'redis' ? process.env.TEST_REDIS_URL : undefined;
    if (membership === 'redis' && !redis) continue;
    describe(`worker processes joining and leaving on ${factory.kind} (${membership} membership)`, () => {
      const rig = new ScratchRig(factory);
      before(() => rig.open());
      after(() => rig.close());

      test('every task completes exactly once as workers join, stop and crash', { timeout: 120_000 }, async (t) => {
        await rig.nextQueue();
        const base = {
          concurrency: 4,
          heartbeatMs: 200,
          pollMs: 100,
          leaseMs: 1_500,
          renewMs: 300,
          graceMs: 3_000,
          redisUrl: redis,
        };
        const startedAt = Date.now();
        const w1 = await rig.start({ ...base, id: 'member-1', work: 'hold:20' });
        await enqueueScratch(rig.orm.em, rig.queue, 200, 'batch1');
        const [w2, w3] = await Promise.all([
          rig.start({ ...base, id: 'member-2', work: 'hold:20' }),
          // It never finishes a task: whatever it holds when killed must be finished by the others.
          rig.start({ ...base, id: 'member-3', work: 'hold:600000' }),
        ]);
        await enqueueScratch(rig.orm.em, rig.queue, 200, 'batch2');
        await waitUntil(
          'the new members to start tasks',
          () => w2.started().length > 0 && w3.started().length > 0,
          20_000,
          () => rig.describe(),
        );

        assert.equal(await w2.stop('SIGTERM'), 0, w2.log());
        await enqueueScratch(rig.orm.em, rig.queue, 200, 'batch3');
        const held = await waitUntil(
          'member-3 to hold tasks',
          async () => {
            const rows = await rig.rows(`select id from $t where state = 'PROCESSING' and lease_owner = 'member-3'`);
            return rows.length > 0 ? rows.map((r) => String(r.id)) : undefined;
          },
          10_000,
        );
        w3.signal('SIGKILL');
        await w3.exited;
        const killedHeld = (
          await rig.rows(`select id from $t where state = 'PROCESSING' and lease_owner = 'member-3'`)
        ).map((r) => String(r.id));
        assert.ok(killedHeld.length >= held.length);

        await waitUntil(
          'all 600 tasks to be finished',
          async () =>
            (await rig.count('select count(*) as n from $h')) >= 600 &&
            (await rig.count('select count(*) as n from $t')) === 0,
          60_000,
          () => rig.describe(),
          100,
        );
        assert.equal(await w1.stop('SIGTERM'), 0, w1.log());
        t.diagnostic(
          `${factory.kind}/${membership}: 600 tasks through joins, a stop and a crash in ${Date.now() - startedAt} ms`,
        );

        assert.equal(await rig.count('select count(*) as n from $e'), 600, 'one effect per task');
        assert.equal(await rig.count('select count(distinct task_id) as n from $e'), 600);
        assert.equal(await rig.count('select count(*) as n from $h'), 600);
        assert.equal(await rig.count('select count(distinct id) as n from $h'), 600);
        assert.equal(await rig.count('select count(*) as n from $t'), 0, 'none left');
        assert.equal(await rig.count(`select count(*) as n from $e where worker_id = 'member-3'`), 0);
        for (const w of ['member-1', 'member-2', 'member-3']) {
          assert.ok(
            (await rig.count(`select count(*) as n from $s where worker_id = '${w}'`)) > 0,
            `${w} started tasks`,
          );
        }
        const recovered = await rig.rows(
          `select id, attempts, finished_by from $h where id in (${killedHeld.join(', ')})`,
        );
        assert.equal(recovered.length, killedHeld.length, 'the tasks the crashed worker held were finished');
        for (const row of recovered) {
          assert.equal(Number(row.attempts), 2, `task ${String(row.id)} ran again after the crash`);
          assert.equal(row.finished_by, 'member-1');
        }
        assert.equal(
          await rig.count('select count(*) as n from $h where attempts > 1'),
          killedHeld.length,
          'only those ran twice',
        );
      });
    });
  }
}
