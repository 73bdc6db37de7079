import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { signToken } from '@learnhub/platform/auth';
import { waitUntil } from '@learnhub/platform/testing';
import type { Viewer } from '@learnhub/platform/auth';
import { RedisCache } from '@learnhub/platform/cache';
import { openDatabase } from '@learnhub/platform/database';
import { sqlRows } from '@learnhub/platform/database';
import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { backendUrl } from '@learnhub/platform/testing';
import { deleteRedisKeys } from '@learnhub/platform/testing';
import { seededRandom } from '@learnhub/platform/random';
import { freePort, type ServiceProcess } from '@learnhub/platform/testing';
import { ServiceProcessGroup } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { PublishStatus } from '@learnhub/contracts/published-course';
import {
  StageState,
  contentMigrations,
  publishedCourseKey,
  contentEntities,
  OutboxMessageRepository,
  OutboxMessageService,
  approvedCourse,
  author,
} from '@learnhub/content/testing';
import { HttpMediaDirectory } from '@learnhub/media/client';
import { uploadToMedia } from '@learnhub/media/testing';
import { openSearchIndex } from '@learnhub/search/testing';
import {
  act,
  cachedEntry,
  finishedMessages,
  indexedVersions,
  liveMessages,
  pageView,
  stageStates,
  storedPage,
  storedRecord,
  type PublishActionName,
} from '../../testing/publishing-fixture';
import { sleep } from '../../testing/scratch-fleet';

/*
 * Fault test with real processes: the media and search subgraphs and the jobs worker run as
 * their own processes (`node …/main.js`), on a content database of each kind configured
 * (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set), with Redis when TEST_REDIS_URL is
 * set. Courses are authored, approved and published through content's services in this process
 * on that same database (what the content subgraph would do for a GraphQL call; the outbox and
 * the wake-ups are the same), against the real media subgraph. The jobs worker is killed with
 * SIGKILL at random moments while messages run, and restarted, again and again; then one worker
 * drains the outbox and every course's page, search document and cache entry must show its
 * published record's current version. Nothing is mocked.
 */

const JOBS_MAIN = join(__dirname, '..', '..', 'main.js');
const JWT_SECRET = 'kill-test-secret-that-is-long-enough-for-hs256-0123456789';
const COURSES = 15;
const KILLS = Number(process.env.PUBLISH_KILLS ?? 50);

const png = () => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(2000)]);
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2000)]);

const admin: Viewer = { userId: 'u-admin', roles: ['admin'] };

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) backendUrl('redis', 'course publish kill test with a cache');

/** What the test believes of a course, to choose only valid actions. */
type CourseState = 'unpublished' | 'published' | 'offline';
const validActions: Record<CourseState, PublishActionName[]> = {
  unpublished: ['publish'],
  published: ['offline', 'publish'],
  offline: ['online', 'publish'],
};
const stateAfter: Record<PublishActionName, CourseState> = {
  publish: 'published',
  offline: 'offline',
  online: 'published',
};

// MariaDB is left out to keep the run short; the engine's own tests cover it. SQLite and PostgreSQL are the content databases here.
for (const factory of testDatabases('course publish kill test').filter(
  (f) => f.kind === 'sqlite' || f.kind === 'postgresql',
)) {
  describe(`publish outbox under kill -9 of the jobs worker, content on ${factory.kind}`, () => {
    let database: TestDatabase | undefined;
    let dataDir: string | undefined;
    let orm: MikroORM | undefined;
    let wakeup: TaskWakeup | undefined;
    const processes = new ServiceProcessGroup();
    const keyPrefix = `kill-${randomBytes(6).toString('hex')}:`;
    const gatewaySecret = randomBytes(16).toString('hex');
    let env: NodeJS.ProcessEnv = {};
    let ports = { media: 0, search: 0 };
    let token = '';
    const courseIds: string[] = [];

    before(async () => {
      database = await factory.create();
      dataDir = await mkdtemp(join(tmpdir(), 'lh-publish-kill-'));
      ports = { media: await freePort(), search: await freePort() };
      env = {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        AUTH_JWT_SECRET: JWT_SECRET,
        GATEWAY_SECRET: gatewaySecret,
        MEDIA_PORT: String(ports.media),
        SEARCH_PORT: String(ports.search),
        CONTENT_DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: keyPrefix,
        JOBS_LEASE_MS: '1000',
        JOBS_RENEW_MS: '250',
        JOBS_HEARTBEAT_MS: '200',
        JOBS_POLL_MS: '100',
        JOBS_RETRY_BASE_MS: '100',
        JOBS_RETRY_MAX_MS: '1000',
        TRANSCODE_CONCURRENCY: '1',
        SHUTDOWN_GRACE_MS: '3000',
      };
      if (!redisUrl) delete env.REDIS_URL;
      // The content tables first, so that the jobs workers find them migrated.
      orm = await openDatabase({ url: database.url, entities: contentEntities, migrations: contentMigrations });
      await Promise.all([
        processes.start(
          'media',
          require.resolve('@learnhub/media/main'),
          env,
          `http://127.0.0.1:${ports.media}/health`,
        ),
        processes.start(
          'search',
          require.resolve('@learnhub/search/main'),
          env,
          `http://127.0.0.1:${ports.search}/health`,
        ),
      ]);
      token = await signToken(
        { userId: author.userId!, roles: author.roles, organisationId: author.organisationId! },
        JWT_SECRET,
      );
      const upload = (bytes: Buffer, fileName: string) =>
        uploadToMedia(`http://127.0.0.1:${ports.media}`, token, bytes, fileName, {
          [GATEWAY_SECRET_HEADER]: gatewaySecret,
        });
      const mediaIds = { coverId: await upload(png(), 'cover.png'), documentId: await upload(pdf(), '讲义.pdf') };
      const media = new HttpMediaDirectory(`http://127.0.0.1:${ports.media}/graphql`, gatewaySecret);
      for (let i = 1; i <= COURSES; i++) {
        courseIds.push(
          await approvedCourse(orm, media, mediaIds, `断电测试课程 ${i}`, {
            authorization: `Bearer ${token}`,
            requestId: `kill-setup-${i}`,
          }),
        );
      }
      wakeup = TaskWakeup.for(database.url, redisUrl ? { url: redisUrl } : undefined);
    });

    after(async () => {
      // Every process started, even one still starting or started by a body that ran past its timeout: such a worker was left running once.
      await processes.close('SIGTERM', 5_000);
      await wakeup?.close();
      if (redisUrl) await deleteRedisKeys(redisUrl, keyPrefix);
      await orm?.close();
      await database?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    let workers = 0;
    async function startWorker(): Promise<{ id: string; process: ServiceProcess }> {
      const id = `kill-${factory.kind}-${++workers}`;
      const port = await freePort();
      const process = await processes.start(
        id,
        JOBS_MAIN,
        { ...env, JOBS_PORT: String(port), JOBS_WORKER_ID: id },
        `http://127.0.0.1:${port}/health`,
      );
      return { id, process };
    }

    test(`${KILLS} kills of the jobs worker while publish, offline and online messages run; then every effect shows the current version`, {
      timeout: 300_000,
    }, async () => {
      const seed = Number(process.env.PUBLISH_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      const states = new Map<string, CourseState>(courseIds.map((id) => [id, 'unpublished']));
      const startedAt = Date.now();
      let actions = 0;
      /** Per kill: the messages the killed worker held (a lease it never gave back), and of those, how many were between stages. */
      const kills: Array<{ held: number; betweenStages: number }> = [];

      let worker = await startWorker();
      for (let round = 0; round < KILLS; round++) {
        const count = 1 + Math.floor(random() * 3);
        for (let i = 0; i < count; i++) {
          const courseId = pick(courseIds);
          const action = pick(validActions[states.get(courseId)!]);
          // Every action must be taken at once, while the worker writes into the same database.
          await act(orm!, wakeup!, action, courseId);
          states.set(courseId, stateAfter[action]);
          actions++;
        }
        // The kill lands at a random moment of the work those actions started.
        await sleep(Math.floor(random() * 401));
        await worker.process.stop('SIGKILL');
        // Dead now: whatever it held stays as it was until its lease runs out and another worker claims it.
        const held = await sqlRows(
          orm!.em.fork(),
          `select * from mq_message where state = 'PROCESSING' and lease_owner = ?`,
          [worker.id],
        );
        const betweenStages = held.filter((row) =>
          Object.values(stageStates(row)).some((state) => state !== StageState.PENDING),
        ).length;
        kills.push({ held: held.length, betweenStages });
        worker = await startWorker();
      }
      const killedAt = Date.now();

      // The last worker drains the outbox: every message finishes, or fails for good.
      const liveDetails = async () =>
        `live: ${JSON.stringify(await liveMessages(orm!), null, 1)}\n${worker.process.log().slice(-3000)}`;
      const stuck = await waitUntil(
        'the outbox to settle',
        async () => {
          const live = await liveMessages(orm!);
          return live.every((row) => row.state === 'FAILED' && row.run_at_ms === null) ? live : undefined;
        },
        90_000,
        liveDetails,
      );
      // A message held by a killed worker on its last attempt (5) stays FAILED for a person, by
      // design (a SIGKILLed attempt counts; see TaskTable.failAbandoned). Only that may have
      // happened here: nothing else fails. A person retries it, as the admin outbox API offers.
      for (const row of stuck) {
        assert.match(
          String(row.last_error),
          /The worker running the last attempt stopped/,
          `message ${String(row.id)} failed for good for another reason`,
        );
        await new OutboxMessageService(new OutboxMessageRepository(orm!.em.fork()), wakeup!).retry(
          admin,
          String(row.id),
        );
      }
      await waitUntil('the outbox to drain', async () => (await liveMessages(orm!)).length === 0, 60_000, liveDetails);
      const drainedAt = Date.now();
      await worker.process.stop('SIGTERM');

      const finished = await finishedMessages(orm!);
      const retried = finished.filter((row) => Number(row.attempts) > 1);
      const midMessage = kills.filter((kill) => kill.held > 0).length;
      const report = {
        database: factory.kind,
        cache: redisUrl ? 'redis' : 'none',
        seed,
        kills: kills.length,
        killsMidMessage: midMessage,
        killsBetweenStages: kills.filter((kill) => kill.betweenStages > 0).length,
        messagesHeldByKilledWorkers: kills.reduce((sum, kill) => sum + kill.held, 0),
        actions,
        messages: finished.length,
        messagesWithMoreThanOneAttempt: retried.length,
        messagesAttemptsUsedUpByKillsRetriedByAdmin: stuck.length,
        maxAttempts: Math.max(...finished.map((row) => Number(row.attempts))),
        killLoopMs: killedAt - startedAt,
        drainMs: drainedAt - killedAt,
      };
      console.log(`publish kill test: ${JSON.stringify(report)}`);
      assert.equal(kills.length, KILLS);
      assert.equal(finished.length, actions, 'every action left one message, and every message finished');
      assert.ok(midMessage > 0, 'at least one kill landed while the worker held a message');

      const store = new LocalObjectStore({ root: join(dataDir!, 'objects'), publicUrl: 'http://127.0.0.1/files' });
      const index = await openSearchIndex(`sqlite:${join(dataDir!, 'search.sqlite')}`);
      const cache = redisUrl ? new RedisCache(redisUrl, { keyPrefix }) : undefined;
      try {
        const indexed = await indexedVersions(index);
        const searched = await searchedIds();
        const problems: string[] = [];
        for (const courseId of courseIds) {
          const expected = states.get(courseId)!;
          const record = await storedRecord(orm!, courseId);
          const html = await storedPage(store, courseId);
          const page = html === undefined ? undefined : pageView(html);
          const documents = indexed.get(courseId) ?? [];
          const entry = cache ? await cachedEntry(cache, courseId) : undefined;
          const say = (problem: string) =>
            problems.push(`course ${courseId} (${expected}, record ${JSON.stringify(record)}): ${problem}`);
          if ((await liveMessages(orm!, courseId)).length > 0) say('messages are still live');
          if (expected === 'unpublished') {
            if (record) say('has a published record');
            if (html !== undefined) say('has a page');
            if (documents.length) say(`is indexed: ${JSON.stringify(documents)}`);
            if (entry) say(`is cached: v${entry.version}`);
            continue;
          }
          const status = expected === 'published' ? PublishStatus.PUBLISHED : PublishStatus.OFFLINE;
          if (!record || record.status !== status) {
            say('the record does not have the status of the last action');
            continue;
          }
          if (record.pageVersion !== record.version) say(`the page shows v${record.pageVersion} by the record`);
          if (expected === 'published') {
            if (!page || page.offline || page.version !== record.version) say(`the page is ${JSON.stringify(page)}`);
            if (documents.length !== 1 || documents[0] !== record.version)
              say(`the index holds ${JSON.stringify(documents)}`);
            if (!searched.has(courseId)) say('searchCourses does not find it');
            if (cache && (!entry || entry.version !== record.version || !('record' in entry)))
              say(`the cache holds ${JSON.stringify(entry?.version)}`);
          } else {
            if (!page?.offline) say(`the page is ${JSON.stringify(page)}, not the offline notice`);
            if (documents.length) say(`the index holds ${JSON.stringify(documents)}`);
            if (searched.has(courseId)) say('searchCourses finds it');
            if (cache && (await cache.get(publishedCourseKey(courseId))) !== undefined)
              say(`the cache holds an entry (v${entry?.version})`);
          }
        }
        const published = [...states.values()].filter((state) => state === 'published').length;
        if (searched.size !== published)
          problems.push(`searchCourses finds ${searched.size} courses, ${published} are published`);
        assert.deepEqual(problems, [], `seed ${seed}`);
      } finally {
        await cache?.close();
        await index.close();
        await store.close();
      }
    });

    /** The ids `searchCourses` finds, asked of the search subgraph itself (as the gateway would). */
    async function searchedIds(): Promise<Set<string>> {
      const response = await fetch(`http://127.0.0.1:${ports.search}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [GATEWAY_SECRET_HEADER]: gatewaySecret },
        body: JSON.stringify({
          query: '{ searchCourses(input: { sort: NEWEST }, page: { page: 1, size: 100 }) { total hits { id } } }',
        }),
      });
      const body = (await response.json()) as {
        data?: { searchCourses: { total: number; hits: { id: string }[] } };
        errors?: unknown;
      };
      assert.ok(body.data, JSON.stringify(body));
      assert.equal(body.data.searchCourses.total, body.data.searchCourses.hits.length);
      return new Set(body.data.searchCourses.hits.map((hit) => hit.id));
    }
  });
}
