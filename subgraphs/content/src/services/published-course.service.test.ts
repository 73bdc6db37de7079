import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { NoCache } from '@learnhub/platform/cache';
import { RedisCache } from '@learnhub/platform/cache';
import type { Cache } from '@learnhub/platform/cache';
import { createLogger } from '@learnhub/platform/logger';
import { backendUrl } from '@learnhub/platform/testing';
import { deleteRedisKeys } from '@learnhub/platform/testing';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import type { MikroORM } from '@mikro-orm/core';
import { contentMigrations } from '../migrations/migrations';
import {
  ABSENT_TTL_SECONDS,
  CACHE_TTL_SECONDS,
  publishedCourseKey,
  writePublishedEntry,
} from '../publishing/published-course-cache';
import { publishedCourseRecord } from '../publishing/published-course-record';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { CourseRepository } from '../repositories/course.repository';
import { contentEntities } from '../entities/content-entities';
import { approvedCourse, author, PUBLISHING_ORG } from '../testing/approved-course';
import { FakeMediaDirectory } from '../testing/fake-media-directory';
import { CoursePublishService } from './course-publish.service';
import { CourseService } from './course.service';
import { PublishedCourseService } from './published-course.service';

const ids = { coverId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', documentId: 'dddddddddddddddddddddddddddddddd' };
const caller = { requestId: 'req' };
const log = createLogger('test', 'silent');
const media = new FakeMediaDirectory()
  .add({ id: ids.coverId, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'cover.png' })
  .add({ id: ids.documentId, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'notes.pdf' });

/** The real repository, counting how often the published record is read from the database. */
class CountingRepository extends CoursePublishingRepository {
  reads = 0;
  override published(courseId: string) {
    this.reads++;
    return super.published(courseId);
  }
}

/** Publishes a new complete, approved course through the services; returns its id. */
async function publishedCourse(orm: MikroORM, name: string): Promise<string> {
  const id = await approvedCourse(orm, media, ids, name);
  await new CoursePublishService(new CoursePublishingRepository(orm.em.fork()), { notify: async () => {} }).publish(
    author,
    id,
  );
  return id;
}

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const [sqlite] = testDatabases('published course reads').filter((factory) => factory.kind === 'sqlite');

describe('published course reads without a cache', () => {
  const db = migratedTestDatabase(sqlite, { entities: contentEntities, migrations: contentMigrations });
  const reader = () => new PublishedCourseService(new CoursePublishingRepository(db.orm.em.fork()), new NoCache(), log);

  test('read from the published record: never the draft, nothing while unpublished or offline', async () => {
    const id = await publishedCourse(db.orm, '已发布的名字');
    const em = db.orm.em.fork();
    await new CourseService(new CourseRepository(em), new CourseCategoryRepository(em), media).update(
      author,
      caller,
      id,
      { name: '草稿里的新名字' },
    );
    assert.equal((await reader().get(id))?.content.name, '已发布的名字');
    await new CoursePublishService(new CoursePublishingRepository(db.orm.em.fork()), {
      notify: async () => {},
    }).takeOffline(author, id);
    assert.equal(await reader().get(id), undefined);
    assert.equal(await reader().get('424242'), undefined);
    assert.equal(await reader().get('not-an-id'), undefined);
  });
});

const redisUrl = backendUrl('redis', 'published course reads through Redis');
if (redisUrl) {
  describe('published course reads through Redis', () => {
    const db = migratedTestDatabase(sqlite, { entities: contentEntities, migrations: contentMigrations });
    const prefix = `test-published-${randomUUID()}:`;
    let cache: Cache;
    let redis: Redis;
    before(() => {
      cache = new RedisCache(redisUrl, { keyPrefix: prefix });
      redis = new Redis(redisUrl);
    });
    after(async () => {
      await deleteRedisKeys(redisUrl, prefix);
      await cache.close();
      redis.disconnect();
    });
    const key = (courseId: string) => `${prefix}${publishedCourseKey(courseId)}`;
    const reader = () => {
      const repository = new CountingRepository(db.orm.em.fork());
      return { repository, service: new PublishedCourseService(repository, cache, log) };
    };

    test('the first read rebuilds the entry from the record; later reads never reach the database', async () => {
      const id = await publishedCourse(db.orm, '缓存的课程');
      const { repository, service } = reader();
      assert.equal((await service.get(id))?.content.name, '缓存的课程');
      assert.equal((await service.get(id))?.content.name, '缓存的课程');
      assert.equal(repository.reads, 1);
      assert.equal(JSON.parse((await redis.get(key(id)))!).version, 1);
    });

    test('a miss is remembered briefly, so a flood of reads for a missing course reaches the database once (penetration)', async () => {
      const { repository, service } = reader();
      for (let i = 0; i < 10; i++) assert.equal(await service.get('9876543'), undefined);
      assert.equal(repository.reads, 1);
      assert.deepEqual(JSON.parse((await redis.get(key('9876543')))!), { version: 0, absent: true });
      const ttl = await redis.ttl(key('9876543'));
      assert.ok(ttl > 0 && ttl <= ABSENT_TTL_SECONDS * 1.2, `ttl ${ttl}`);
    });

    test('thirty readers of a cold entry: one rebuilds it from the database while the others wait for it (breakdown)', async () => {
      const id = await publishedCourse(db.orm, '热门课程');
      const { repository, service } = reader();
      const answers = await Promise.all(Array.from({ length: 30 }, () => service.get(id)));
      assert.ok(answers.every((answer) => answer?.content.name === '热门课程'));
      assert.equal(repository.reads, 1);
    });

    test('entries written together expire at different times (avalanche)', async () => {
      const ids = [];
      for (let i = 0; i < 8; i++) ids.push(await publishedCourse(db.orm, `批量课程 ${i}`));
      for (const id of ids) await reader().service.get(id);
      const ttls = await Promise.all(ids.map((id) => redis.ttl(key(id))));
      for (const ttl of ttls) assert.ok(ttl > CACHE_TTL_SECONDS - 5 && ttl <= CACHE_TTL_SECONDS * 1.2, `ttl ${ttl}`);
      assert.ok(new Set(ttls).size > 1, `all eight expire together: ${ttls}`);
    });

    test('a reader that read the record before it went offline cannot put it back in the cache', async () => {
      const id = await publishedCourse(db.orm, '下架的课程');
      const stale = publishedCourseRecord((await new CoursePublishingRepository(db.orm.em.fork()).published(id))!);
      const offline = await new CoursePublishService(new CoursePublishingRepository(db.orm.em.fork()), {
        notify: async () => {},
      }).takeOffline(author, id);
      assert.equal(await writePublishedEntry(cache, id, offline), 'applied');
      assert.equal(await writePublishedEntry(cache, id, stale), 'stale');
      assert.equal(await reader().service.get(id), undefined);
    });

    test('when Redis is unreachable, reads are answered from the database', async () => {
      const id = await publishedCourse(db.orm, '没有缓存也能读');
      const down = new RedisCache(`redis://127.0.0.1:${await closedPort()}`, { timeoutMs: 300 });
      try {
        const service = new PublishedCourseService(new CoursePublishingRepository(db.orm.em.fork()), down, log);
        assert.equal((await service.get(id))?.content.name, '没有缓存也能读');
      } finally {
        await down.close();
      }
    });
  });
}
