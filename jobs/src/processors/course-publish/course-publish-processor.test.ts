import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { Registry } from 'prom-client';
import type { Cache, VersionedWriteOutcome } from '@learnhub/platform/cache';
import { waitUntil } from '@learnhub/platform/testing';
import { NoCache } from '@learnhub/platform/cache';
import { RedisCache } from '@learnhub/platform/cache';
import { openDatabase } from '@learnhub/platform/database';
import { sqlChanges } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { TaskTable } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { backendUrl } from '@learnhub/platform/testing';
import { deleteRedisKeys } from '@learnhub/platform/testing';
import { TcpProxy } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { PublishStatus } from '@learnhub/contracts/published-course';
import {
  COURSE_PUBLISH_MESSAGE,
  OutboxMessage,
  outboxMessages,
  PublishAction,
  StageState,
  type CoursePublishPayload,
  readOutboxStages,
  contentMigrations,
  coursePageKey,
  publishedCourseKey,
  contentEntities,
  FakeMediaDirectory,
  approvedCourse,
  PUBLISHING_ORG,
  CacheEntryStage,
  CoursePageStage,
  CoursePublishProcessor,
  DuplicateStageError,
  type PublishStage,
  SearchDocumentStage,
  type CourseIndexWriter,
} from '@learnhub/content/testing';
import type { CourseDocument, WriteOutcome } from '@learnhub/contracts/course-index';
import { openSearchIndex, type SearchIndex } from '@learnhub/search/testing';
import type { BackoffPolicy } from '@learnhub/platform/tasks';
import { JobsEngine } from '../../engine/jobs-engine';
import type { QueueProcessor } from '@learnhub/platform/tasks';
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
  withOverrides,
  type MessageRow,
  type PublishActionName,
} from '../../testing/publishing-fixture';
import { uniqueQueueName } from '../../testing/scratch-fleet';

/*
 * The publish outbox processor on the real jobs engine, over a real content database (every kind
 * configured), with the real stages writing to a real local object store in a temp folder, a real
 * embedded search index, and Redis (a RedisCache under a key prefix of its own) when
 * TEST_REDIS_URL is set. Only the media subgraph is stood in for (FakeMediaDirectory): it is a
 * separate service, exercised for real by course-publish-kill.test.ts.
 */

const COVER_ID = 'c0ffee00000000000000000000000001';
const DOCUMENT_ID = 'd0c00000000000000000000000000001';
const PAID_DOCUMENT_ID = 'd0c00000000000000000000000000002';
const PHOTO_ID = 'f0700000000000000000000000000001';
const mediaIds = { coverId: COVER_ID, documentId: DOCUMENT_ID };

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) backendUrl('redis', 'course publish processor with a cache');

/** The message being processed, for the ports below to tell older messages from the newest. */
interface MessageInHand {
  messageId: string;
  courseId: string;
  version: number;
}
const inHand = new AsyncLocalStorage<MessageInHand>();

/** The real processor, run with the message it is working on known to everything it calls. */
function traced(processor: CoursePublishProcessor): QueueProcessor<CoursePublishPayload> {
  return {
    table: processor.table,
    concurrency: processor.concurrency,
    lease: processor.lease,
    process: (task, context) =>
      inHand.run({ messageId: task.id, courseId: task.payload.courseId, version: Number(task.payload.version) }, () =>
        processor.process(task, context),
      ),
  };
}

for (const factory of testDatabases('course publish processor')) {
  describe(`course publish processor on ${factory.kind}`, () => {
    let database: TestDatabase | undefined;
    let orm: MikroORM;
    let dir: string | undefined;
    let store: LocalObjectStore;
    let index: SearchIndex | undefined;
    let cache: Cache | undefined;
    let wakeup: TaskWakeup | undefined;
    const keyPrefix = `test-publish-${randomBytes(6).toString('hex')}:`;
    const media = new FakeMediaDirectory()
      .add({ id: COVER_ID, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'cover.png' })
      .add({ id: DOCUMENT_ID, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'handout.pdf' })
      .add({ id: PAID_DOCUMENT_ID, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'paid.pdf' })
      .add({ id: PHOTO_ID, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'teacher.png' });
    /** With Redis the cache stage writes; without it the stage is skipped. */
    const cacheStageEnd = () => (redisUrl ? StageState.DONE : StageState.SKIPPED);

    before(async () => {
      database = await factory.create();
      orm = await openDatabase({ url: database.url, entities: contentEntities, migrations: contentMigrations });
      dir = await mkdtemp(join(tmpdir(), 'lh-publish-'));
      store = new LocalObjectStore({ root: join(dir, 'objects'), publicUrl: 'http://127.0.0.1/files' });
      index = await openSearchIndex(`sqlite:${join(dir, 'search.sqlite')}`);
      cache = redisUrl ? new RedisCache(redisUrl, { keyPrefix }) : new NoCache();
      wakeup = TaskWakeup.for(database.url, undefined);
    });

    after(async () => {
      await Promise.allSettled(running.map((engine) => engine.stop(0)));
      await wakeup?.close();
      await cache?.close();
      if (redisUrl) await deleteRedisKeys(redisUrl, keyPrefix);
      await index?.close();
      await store?.close();
      await orm?.close();
      await database?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const running: JobsEngine[] = [];

    /** The real stages over this suite's adapters, or over wrappers of them. */
    const realStages = (ports: { store?: ObjectStore; index?: CourseIndexWriter; cache?: Cache } = {}) => ({
      page: new CoursePageStage(orm.em, ports.store ?? store, media),
      search: new SearchDocumentStage(ports.index ?? index!),
      cache: new CacheEntryStage(ports.cache ?? cache!),
    });

    /** `count` engines in this process working the real outbox table with `stages` (each its own group of workers). */
    async function startEngines(
      stages: PublishStage[],
      options: { engines?: number; concurrency?: number; backoff?: BackoffPolicy } = {},
    ) {
      const group = uniqueQueueName('publish');
      const engines: JobsEngine[] = [];
      for (let i = 0; i < (options.engines ?? 1); i++) {
        const processor = new CoursePublishProcessor(
          new TaskTable(orm.em.fork(), outboxMessages),
          stages,
          { em: orm.em, media },
          {
            concurrency: options.concurrency ?? 4,
            lease: { leaseMs: 30_000, renewEveryMs: 1_000, backoff: options.backoff ?? { baseMs: 50, maxMs: 1_000 } },
          },
        );
        const engine = new JobsEngine(
          { workerId: `${group}-${i}`, heartbeatMs: 100, memberTtlMs: 1_000, pollMs: 50, groupPrefix: `${group}:` },
          [traced(processor)],
          [],
          [wakeup!],
          new Registry(),
          createLogger('test', 'silent'),
        );
        await engine.start();
        engines.push(engine);
        running.push(engine);
      }
      return {
        async stop() {
          await Promise.all(engines.map((engine) => engine.stop(2_000)));
        },
      };
    }

    const describeMessages = async (courseId: string) =>
      JSON.stringify(
        { live: await liveMessages(orm, courseId), finished: await finishedMessages(orm, courseId) },
        null,
        1,
      );

    /** Waits until every message of the course has finished: `count` in the history, none live. */
    const allFinished = (courseId: string, count: number, timeoutMs = 30_000) =>
      waitUntil(
        `the ${count} message(s) of course ${courseId} to finish`,
        async () => {
          const finished = await finishedMessages(orm, courseId);
          return finished.length === count && (await liveMessages(orm, courseId)).length === 0 ? finished : undefined;
        },
        timeoutMs,
        () => describeMessages(courseId),
      );

    /** The page, the search document and the cache entry all show the published record's `version` in `status`. */
    async function assertEffectsAt(courseId: string, version: number, status: PublishStatus) {
      const record = await storedRecord(orm, courseId);
      assert.deepEqual(
        record && { version: record.version, status: record.status },
        { version, status },
        'the published record',
      );
      assert.equal(record!.pageVersion, version, 'the record says the page shows its version');
      const html = await storedPage(store, courseId);
      assert.ok(html, 'a page was written');
      const found = await indexedVersions(index!);
      const entry = await cachedEntry(cache!, courseId);
      if (status === PublishStatus.PUBLISHED) {
        assert.deepEqual(
          pageView(html),
          { offline: false, version },
          'the page is the published page of the newest version',
        );
        assert.deepEqual(found.get(courseId), [version], 'the index finds the course once, at the newest version');
        if (redisUrl) {
          assert.equal(entry?.version, version, 'the cache entry holds the newest version');
          assert.ok(
            entry && 'record' in entry && entry.record.status === PublishStatus.PUBLISHED,
            'the cache entry is the readable record',
          );
        }
      } else {
        assert.deepEqual(pageView(html), { offline: true, version: undefined }, 'the page is the offline notice');
        assert.equal(found.get(courseId), undefined, 'search finds nothing of the course');
        if (redisUrl) {
          assert.equal(
            await cache!.get(publishedCourseKey(courseId)),
            undefined,
            'the cache has no entry for the course',
          );
        }
      }
    }

    /** The test's object store, remembering the key of every put. */
    function countingPuts() {
      const puts: string[] = [];
      const countingStore = withOverrides<ObjectStore>(store, {
        put: (bucket, key, body, options) => {
          puts.push(key);
          return store.put(bucket, key, body, options);
        },
      });
      return { puts, countingStore };
    }

    test('the page stage tells media which media are public before it renders the page: the cover, teacher photos and preview sections while published, none while offline', {
      timeout: 60_000,
    }, async () => {
      const courseId = await approvedCourse(
        orm,
        media,
        { ...mediaIds, paidDocumentId: PAID_DOCUMENT_ID, teacherPhotoId: PHOTO_ID },
        'Visibility 可见性课程',
      );
      const page = { bucket: 'mediafiles', key: coursePageKey(courseId) };
      const ofCourse = () => media.publications.filter((publication) => publication.courseId === courseId);
      const orderedStore = withOverrides<ObjectStore>(store, {
        put: (bucket, key, body, options) => {
          media.log.push(`put ${key}`);
          return store.put(bucket, key, body, options);
        },
      });
      const stages = realStages({ store: orderedStore });
      const engines = await startEngines([stages.page, stages.search, stages.cache]);
      try {
        await act(orm, wakeup!, 'publish', courseId);
        await allFinished(courseId, 1);
        assert.deepEqual(
          ofCourse().map((publication) => ({ ...publication, publicMediaIds: [...publication.publicMediaIds].sort() })),
          [
            {
              courseId,
              version: 1,
              organisationId: PUBLISHING_ORG,
              page,
              publicMediaIds: [COVER_ID, DOCUMENT_ID, PHOTO_ID].sort(),
            },
          ],
        );
        const ofThis = media.log.filter((entry) => entry.includes(courseId));
        assert.deepEqual(
          ofThis.slice(0, 3),
          [`publish ${courseId}@1`, `describe outbox-${courseId}`, `put ${page.key}`],
          'published before the media were described and the page written',
        );

        await act(orm, wakeup!, 'offline', courseId);
        await allFinished(courseId, 2);
        assert.deepEqual(ofCourse().at(-1), {
          courseId,
          version: 2,
          organisationId: PUBLISHING_ORG,
          page,
          publicMediaIds: [],
        });
        await assertEffectsAt(courseId, 2, PublishStatus.OFFLINE);
      } finally {
        await engines.stop();
      }
    });

    test('the stages run in the order given and are known by name: those the message recorded are skipped, those it has no record of run, and the list is written back in that order', {
      timeout: 60_000,
    }, async () => {
      const courseId = await approvedCourse(orm, media, mediaIds, 'Stages 阶段课程');
      // No worker runs yet: the message is recorded as a processor with no cache stage and no sitemap stage left it.
      await act(orm, wakeup!, 'publish', courseId);
      const earlier = [
        { name: 'page', state: StageState.DONE, result: 'page written for version 1', finishedAtMs: 1 },
        { name: 'search', state: StageState.DONE, result: 'search document at version 1 (applied)', finishedAtMs: 2 },
      ];
      assert.equal(
        await sqlChanges(orm.em.fork(), 'update mq_message set stages = ? where business_key1 = ?', [
          JSON.stringify(earlier),
          courseId,
        ]),
        1,
      );
      const ran: string[] = [];
      const watched = (stage: PublishStage): PublishStage => ({
        name: stage.name,
        run(message, signal) {
          ran.push(stage.name);
          return stage.run(message, signal);
        },
      });
      const sitemap: PublishStage = {
        name: 'sitemap',
        run: async () => ({ state: StageState.DONE, result: 'sitemap entry written' }),
      };
      const stages = realStages();
      const startedAt = Date.now();
      const engines = await startEngines([stages.page, stages.search, stages.cache, sitemap].map(watched));
      try {
        const [done] = await allFinished(courseId, 1);
        assert.deepEqual(ran, ['cache', 'sitemap'], 'only the stages the message had no record of ran');
        const recorded = readOutboxStages(done.stages);
        assert.deepEqual(
          recorded.map(({ name, state }) => [name, state]),
          [
            ['page', StageState.DONE],
            ['search', StageState.DONE],
            ['cache', cacheStageEnd()],
            ['sitemap', StageState.DONE],
          ],
        );
        assert.deepEqual(recorded.slice(0, 2), earlier, 'the earlier records are kept as they were');
        assert.equal(recorded[3].result, 'sitemap entry written');
        assert.ok(
          recorded.slice(2).every((stage) => stage.finishedAtMs! >= startedAt && stage.result),
          'each new record says what the stage did and when',
        );
        assert.equal(done.last_result, 'sitemap: sitemap entry written');
      } finally {
        await engines.stop();
      }
    });

    test("two stages of one name are refused: a message's record of one would stand for both", () => {
      const stages = realStages();
      const twin: PublishStage = { name: 'page', run: (message) => stages.search.run(message) };
      assert.throws(
        () =>
          new CoursePublishProcessor(
            new TaskTable(orm.em.fork(), outboxMessages),
            [stages.page, twin],
            { em: orm.em, media },
            { concurrency: 1, lease: { leaseMs: 30_000, renewEveryMs: 1_000, backoff: { baseMs: 50, maxMs: 1_000 } } },
          ),
        (error) => error instanceof DuplicateStageError && /Two publish stages are named "page"/.test(error.message),
      );
    });

    test('a failing stage is retried with backoff without redoing the stages already done', {
      timeout: 60_000,
    }, async () => {
      const courseId = await approvedCourse(orm, media, mediaIds, 'Retry 重试课程');
      const { puts, countingStore } = countingPuts();
      const stages = realStages({ store: countingStore });
      /** What the message looked like as each search attempt began, and when. */
      const runs: Array<{ at: number; row: MessageRow }> = [];
      const flakySearch: PublishStage = {
        name: 'search',
        async run(message, signal) {
          const [row] = await liveMessages(orm, message.courseId);
          runs.push({ at: Date.now(), row });
          if (runs.length <= 2) throw new Error(`the index is unavailable (injected failure ${runs.length})`);
          return (stages.search as PublishStage).run(message, signal);
        },
      };
      const backoff = { baseMs: 50, maxMs: 1_000 };
      const engines = await startEngines([stages.page, flakySearch, stages.cache], { backoff });
      try {
        await act(orm, wakeup!, 'publish', courseId);
        const [done] = await allFinished(courseId, 1);

        assert.equal(runs.length, 3, 'the search stage ran three times');
        assert.deepEqual(
          runs.map((run) => Number(run.row.attempts)),
          [1, 2, 3],
          'one search run per attempt',
        );
        assert.equal(runs[0].row.last_error, null);
        assert.match(
          String(runs[1].row.last_error),
          /^search stage: the index is unavailable \(injected failure 1\)/,
          'the failure names the stage',
        );
        assert.match(
          String(runs[2].row.last_error),
          /^search stage: the index is unavailable \(injected failure 2\)/,
          'the failure names the stage',
        );
        for (const run of runs.slice(1)) {
          assert.deepEqual(
            stageStates(run.row),
            { page: StageState.DONE, search: StageState.PENDING, cache: StageState.PENDING },
            'the page stage stayed done across the retries',
          );
          assert.ok(Number(run.row.last_failure_ms) > 0, 'the failure time is recorded');
        }
        assert.deepEqual(
          puts.filter((key) => key === coursePageKey(courseId)),
          [coursePageKey(courseId)],
          'the page was put exactly once',
        );
        // Lower bounds only, from the recorded failure times: equal jitter waits at least half the
        // ceiling, base·2^(attempt-1): ≥ base/2 after the first failure, ≥ base after the second.
        const waited = runs.slice(1).map((run) => run.at - Number(run.row.last_failure_ms));
        assert.ok(waited[0] >= backoff.baseMs / 2, `the first retry waited ${waited[0]} ms`);
        assert.ok(
          waited[1] >= backoff.baseMs,
          `the second retry waited ${waited[1]} ms (backoff base ${backoff.baseMs} ms)`,
        );

        assert.equal(Number(done.attempts), 3);
        assert.deepEqual(stageStates(done), { page: StageState.DONE, search: StageState.DONE, cache: cacheStageEnd() });
        await assertEffectsAt(courseId, 1, PublishStatus.PUBLISHED);
      } finally {
        await engines.stop();
      }
    });

    if (redisUrl) {
      test("while Redis is unreachable the cache stage waits without using up the message's attempts; once Redis answers, a course republished meanwhile is cached at its newest version", {
        timeout: 120_000,
      }, async () => {
        const courseId = await approvedCourse(orm, media, mediaIds, 'Outage 断线课程');
        // The stage's cache reaches the shared Redis through a proxy the test cuts; the suite's own cache reads it directly.
        const proxy = await TcpProxy.start(redisUrl);
        const proxied = new RedisCache(proxy.url(), { keyPrefix, timeoutMs: 200, retryMs: 200 });
        let cacheWrites = 0;
        const countingCache = withOverrides<Cache>(proxied, {
          writeVersioned: (key, version, value, ttlSeconds) => {
            cacheWrites++;
            return proxied.writeVersioned(key, version, value, ttlSeconds);
          },
        });
        const stages = realStages({ cache: countingCache });
        const engines = await startEngines([stages.page, stages.search, stages.cache]);
        try {
          await act(orm, wakeup!, 'publish', courseId);
          await allFinished(courseId, 1);
          await assertEffectsAt(courseId, 1, PublishStatus.PUBLISHED);

          await proxy.blackhole();
          const writesBefore = cacheWrites;
          await act(orm, wakeup!, 'publish', courseId);
          const [queued] = await liveMessages(orm, courseId);
          const maxAttempts = Number(queued.max_attempts);
          const failedForGood = async () =>
            (await liveMessages(orm, courseId)).some((row) => row.state === 'FAILED' && row.run_at_ms === null);
          await waitUntil(
            'the cache stage to be tried more often than the message has attempts (or the message to fail for good)',
            async () => cacheWrites - writesBefore > maxAttempts || (await failedForGood()),
            60_000,
            () => describeMessages(courseId),
          );
          const [waiting] = await liveMessages(orm, courseId);
          assert.ok(waiting, `the message is still live: ${await describeMessages(courseId)}`);
          assert.notEqual(waiting.state, 'FAILED', `the message did not fail: ${JSON.stringify(waiting)}`);
          assert.ok(Number(waiting.attempts) <= 1, `no attempt was used up waiting (${String(waiting.attempts)})`);
          assert.deepEqual(
            stageStates(waiting),
            { page: StageState.DONE, search: StageState.DONE, cache: StageState.PENDING },
            'the page and search stages went ahead',
          );
          assert.match(String(waiting.last_error), /^cache stage: .*unreachable/, 'the message says what it waits for');
          assert.equal((await cachedEntry(cache!, courseId))?.version, 1, 'Redis still holds the entry of version 1');

          await proxy.restore();
          const [, done] = await allFinished(courseId, 2);
          assert.equal(Number(done.attempts), 1, 'the message finished on its first counted attempt');
          await assertEffectsAt(courseId, 2, PublishStatus.PUBLISHED);
        } finally {
          await engines.stop();
          await proxied.close();
          await proxy.close();
        }
      });
    }

    /**
     * Runs `actions` on one new course while the messages older than the last are held up, with two
     * engines of four slots each so that every message is in flight at once:
     * - `stage`: each stage of an older message waits, before it runs, until the newest message has
     *   finished; the actions follow each other at once.
     * - `search` / `cache`: an older message's search (cache) write waits, with the document (entry)
     *   of the version it read in hand, until the newest message has finished; each next action comes
     *   once the previous message holds its write, so those late writes carry older versions.
     */
    async function overlapping(actions: PublishActionName[], hold: 'stage' | 'search' | 'cache') {
      const courseId = await approvedCourse(orm, media, mediaIds, `Overlap 并发课程 ${hold}`);
      const newest = actions.length;
      const held: Array<{ version: number; what: string }> = [];
      const writes: Array<{
        port: 'search' | 'cache';
        version: number;
        outcome: WriteOutcome | VersionedWriteOutcome;
      }> = [];
      const newestFinished = async () =>
        (await finishedMessages(orm, courseId)).some((row) => Number(row.business_key2) === newest);
      const holdOlder = async (what: string) => {
        const message = inHand.getStore();
        if (!message || message.courseId !== courseId || message.version >= newest) return;
        held.push({ version: message.version, what });
        await waitUntil(`the newest message of course ${courseId} to finish`, newestFinished, 20_000).catch(
          () => undefined,
        );
      };
      const indexWriter: CourseIndexWriter = {
        async upsert(document: CourseDocument) {
          if (document.id === courseId && hold === 'search') await holdOlder(`search upsert v${document.version}`);
          const outcome = await index!.upsert(document);
          if (document.id === courseId) writes.push({ port: 'search', version: document.version, outcome });
          return outcome;
        },
        async remove(id: string, version: number) {
          if (id === courseId && hold === 'search') await holdOlder(`search remove v${version}`);
          const outcome = await index!.remove(id, version);
          if (id === courseId) writes.push({ port: 'search', version, outcome });
          return outcome;
        },
      };
      const ours = publishedCourseKey(courseId);
      const cachePort = withOverrides<Cache>(cache!, {
        async writeVersioned(key, version, value, ttlSeconds) {
          if (key === ours && hold === 'cache') await holdOlder(`cache write v${version}`);
          const outcome = await cache!.writeVersioned(key, version, value, ttlSeconds);
          if (key === ours) writes.push({ port: 'cache', version, outcome });
          return outcome;
        },
      });
      const stages = realStages({ index: indexWriter, cache: cachePort });
      const list: PublishStage[] = [stages.page, stages.search, stages.cache].map((stage) =>
        hold === 'stage'
          ? {
              name: stage.name,
              async run(message, signal) {
                await holdOlder(`${stage.name} stage`);
                return stage.run(message, signal);
              },
            }
          : stage,
      );
      const engines = await startEngines(list, { engines: 2, concurrency: 4 });
      try {
        for (const [i, action] of actions.entries()) {
          const record = await act(orm, wakeup!, action, courseId);
          assert.equal(record.version, i + 1);
          if (hold !== 'stage' && record.version < newest) {
            await waitUntil(
              `the ${action} message (v${record.version}) to hold its ${hold} write`,
              () => held.some((h) => h.version === record.version),
              20_000,
              () => describeMessages(courseId),
            );
          }
        }
        const finished = await allFinished(courseId, actions.length);
        return { courseId, finished, held, writes };
      } finally {
        await engines.stop();
      }
    }

    /** Every older message was held and finished after the newest one. */
    function assertOverlapped(result: Awaited<ReturnType<typeof overlapping>>, newest: number) {
      const heldVersions = [...new Set(result.held.map((h) => h.version))].sort((a, b) => a - b);
      assert.deepEqual(
        heldVersions,
        Array.from({ length: newest - 1 }, (_, i) => i + 1),
        `every older message was held: ${JSON.stringify(result.held)}`,
      );
      const finishedAt = new Map(result.finished.map((row) => [Number(row.business_key2), Number(row.finished_at_ms)]));
      for (let version = 1; version < newest; version++) {
        assert.ok(
          finishedAt.get(version)! >= finishedAt.get(newest)!,
          `the message of v${version} finished after the newest (v${newest})`,
        );
      }
      for (const row of result.finished) {
        assert.equal(Number(row.attempts), 1, `message ${String(row.id)} needed one attempt`);
        assert.deepEqual(stageStates(row), { page: StageState.DONE, search: StageState.DONE, cache: cacheStageEnd() });
      }
    }

    /** The held writes were of older versions and changed nothing; the newest message's write applied. */
    function assertLateWritesStale(
      result: Awaited<ReturnType<typeof overlapping>>,
      port: 'search' | 'cache',
      newest: number,
    ) {
      const late = result.writes.filter(
        (w) => w.port === port && w.version < newest && result.held.some((h) => h.what.endsWith(`v${w.version}`)),
      );
      assert.ok(
        late.length >= newest - 1,
        `each older message's held ${port} write carried its own older version: ${JSON.stringify(result.writes)}`,
      );
      assert.ok(
        late.every((w) => w.outcome === 'stale'),
        `late ${port} writes of older versions were refused as stale: ${JSON.stringify(result.writes)}`,
      );
      assert.ok(
        result.writes.some((w) => w.port === port && w.version === newest && w.outcome === 'applied'),
        `the newest ${port} write applied`,
      );
    }

    test("publish, offline, online in quick succession with the older messages' stages delayed: everything ends at version 3, published", {
      timeout: 60_000,
    }, async () => {
      const result = await overlapping(['publish', 'offline', 'online'], 'stage');
      assertOverlapped(result, 3);
      await assertEffectsAt(result.courseId, 3, PublishStatus.PUBLISHED);
    });

    test("publish, offline, online, offline with the older messages' stages delayed: everything ends at version 4, offline", {
      timeout: 60_000,
    }, async () => {
      const result = await overlapping(['publish', 'offline', 'online', 'offline'], 'stage');
      assertOverlapped(result, 4);
      await assertEffectsAt(result.courseId, 4, PublishStatus.OFFLINE);
    });

    test("publish, offline, online with the older messages' search writes landing late: they are stale and version 3 stays, published", {
      timeout: 60_000,
    }, async () => {
      const result = await overlapping(['publish', 'offline', 'online'], 'search');
      assertOverlapped(result, 3);
      assertLateWritesStale(result, 'search', 3);
      await assertEffectsAt(result.courseId, 3, PublishStatus.PUBLISHED);
    });

    test("publish, offline, online, offline with the older messages' cache writes (search writes without Redis) landing late: version 4 stays, offline", {
      timeout: 60_000,
    }, async () => {
      const port = redisUrl ? 'cache' : 'search';
      const result = await overlapping(['publish', 'offline', 'online', 'offline'], port);
      assertOverlapped(result, 4);
      assertLateWritesStale(result, port, 4);
      await assertEffectsAt(result.courseId, 4, PublishStatus.OFFLINE);
    });

    test('a message for a course whose published record is gone, or never existed, finishes cleanly', {
      timeout: 60_000,
    }, async () => {
      const gone = await approvedCourse(orm, media, mediaIds, 'Gone 消失的课程');
      // No worker runs yet: the message waits while its record disappears.
      await act(orm, wakeup!, 'publish', gone);
      assert.equal(await sqlChanges(orm.em.fork(), 'delete from course_publish where id = ?', [gone]), 1);
      const never = ['987654321987', 'not-a-course-id'];
      const em = orm.em.fork();
      for (const key of never)
        em.create(OutboxMessage, {
          messageType: COURSE_PUBLISH_MESSAGE,
          businessKey1: key,
          businessKey2: '1',
          businessKey3: PublishAction.PUBLISH,
        });
      await em.flush();

      const { puts, countingStore } = countingPuts();
      const stages = realStages({ store: countingStore });
      const engines = await startEngines([stages.page, stages.search, stages.cache]);
      try {
        for (const courseId of [gone, ...never]) {
          const [done] = await allFinished(courseId, 1);
          assert.equal(Number(done.attempts), 1, `${courseId}: finished at the first attempt`);
          assert.deepEqual(
            stageStates(done),
            { page: StageState.DONE, search: StageState.DONE, cache: cacheStageEnd() },
            `${courseId}: every stage finished`,
          );
          assert.equal(await storedPage(store, courseId).catch(() => undefined), undefined, `${courseId}: no page`);
          assert.equal((await indexedVersions(index!)).get(courseId), undefined, `${courseId}: nothing indexed`);
          assert.equal(await cachedEntry(cache!, courseId), undefined, `${courseId}: nothing cached`);
        }
        assert.deepEqual(puts, [], 'no page was written');
      } finally {
        await engines.stop();
      }
    });
  });
}
