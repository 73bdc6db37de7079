import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { MikroORM } from '@mikro-orm/core';
import { signToken } from '@learnhub/platform/auth';
import { waitUntil } from '@learnhub/platform/testing';
import { RedisCache } from '@learnhub/platform/cache';
import { readConfig } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { sqlRows } from '@learnhub/platform/database';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { backendUrl } from '@learnhub/platform/testing';
import { deleteRedisKeys } from '@learnhub/platform/testing';
import { freePort, type ServiceProcess } from '@learnhub/platform/testing';
import { ServiceProcessGroup } from '@learnhub/platform/testing';
import { TcpProxy } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { StageState, contentMigrations, contentEntities, approvedCourse, author } from '@learnhub/content/testing';
import { HttpMediaDirectory } from '@learnhub/media/client';
import { uploadPath } from '@learnhub/upload-client/node';
import { mediaMigrations, mediaEntities, findFfmpeg, uploadToMedia } from '@learnhub/media/testing';
import { act, cachedEntry, finishedMessages, liveMessages, stageStates } from '../testing/publishing-fixture';

/*
 * The Redis outage fault suite: the real content, media, search and jobs processes (`node
 * …/main.js`) reach the shared Redis through a TCP proxy, on databases of each kind configured.
 * The proxy is made silent (a dead network), then restored, then made to refuse (Redis stopped),
 * then restored; the shared Redis itself is never touched. While Redis is unreachable: every
 * `/ready` that needs Redis answers 503 naming it, the jobs worker's membership is in the database
 * (its `/ready` says so), a video uploaded meanwhile is transcoded, a course republished meanwhile
 * gets its page and search document and is read at its new version from the database, and its
 * cache entry waits without using up the message's attempts. Once Redis answers: `/ready` is 200,
 * membership is back in Redis, and the cache holds the new version. Nothing is mocked.
 */

const run = promisify(execFile);
const JWT_SECRET = 'redis-outage-secret-that-is-long-enough-for-hs256';
const WORKER = 'outage-jobs';
const READS = 10;
/** Bounds each wait of a failing run; things normally happen within a few heartbeats. */
const DEADLINE_MS = 60_000;
const FALLBACK = /"msg":"jobs membership falls back to the database/g;
const RETURN = /"msg":"jobs membership is back in Redis"/g;

const redisUrl = backendUrl('redis', 'Redis outage faults');

interface ReadyCheck {
  name: string;
  ok: boolean;
  detail?: string;
  error?: string;
}

async function readiness(port: number): Promise<{ status: number; checks: ReadyCheck[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { checks: ReadyCheck[] };
  return { status: response.status, checks: body.checks };
}

const check = (checks: ReadyCheck[], name: string) => checks.find((c) => c.name === name);

if (redisUrl) {
  for (const factory of testDatabases('Redis outage faults')) {
    describe(`Redis made unreachable and restored under the running processes, on ${factory.kind}`, () => {
      let contentDb: TestDatabase | undefined;
      let mediaDb: TestDatabase | undefined;
      let dataDir: string | undefined;
      let proxy: TcpProxy | undefined;
      let content: MikroORM | undefined;
      let media: MikroORM | undefined;
      let wakeup: TaskWakeup | undefined;
      let cache: RedisCache | undefined;
      const processes = new ServiceProcessGroup();
      const services = new Map<string, ServiceProcess>();
      const keyPrefix = `outage-${randomBytes(6).toString('hex')}:`;
      let ports = { content: 0, media: 0, search: 0, jobs: 0 };
      let token = '';
      let courseId = '';
      /** The media's wake-ups go through Redis only when its database is MariaDB. */
      const mediaUsesRedis = factory.kind === 'mariadb';
      const counts: string[] = [];

      before(async () => {
        contentDb = await factory.create();
        mediaDb = await factory.create();
        dataDir = await mkdtemp(join(tmpdir(), 'lh-redis-outage-'));
        proxy = await TcpProxy.start(redisUrl);
        ports = {
          content: await freePort(),
          media: await freePort(),
          search: await freePort(),
          jobs: await freePort(),
        };
        const env: NodeJS.ProcessEnv = {
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          DATA_DIR: dataDir,
          AUTH_JWT_SECRET: JWT_SECRET,
          CONTENT_PORT: String(ports.content),
          MEDIA_PORT: String(ports.media),
          SEARCH_PORT: String(ports.search),
          JOBS_PORT: String(ports.jobs),
          JOBS_WORKER_ID: WORKER,
          CONTENT_DATABASE_URL: contentDb.url,
          MEDIA_DATABASE_URL: mediaDb.url,
          REDIS_URL: proxy.url(),
          REDIS_KEY_PREFIX: keyPrefix,
          REDIS_RETRY_MS: '500',
          JOBS_LEASE_MS: '3000',
          JOBS_RENEW_MS: '500',
          JOBS_HEARTBEAT_MS: '300',
          JOBS_POLL_MS: '300',
          JOBS_RETRY_BASE_MS: '200',
          JOBS_RETRY_MAX_MS: '2000',
          TRANSCODE_CONCURRENCY: '1',
          TRANSCODE_PRESET: 'ultrafast',
          SHUTDOWN_GRACE_MS: '3000',
        };
        // Migrated here first, so that the processes started next find the tables.
        content = await openDatabase({ url: contentDb.url, entities: contentEntities, migrations: contentMigrations });
        media = await openDatabase({ url: mediaDb.url, entities: mediaEntities, migrations: mediaMigrations });
        const start = (name: string, module: string, port: number) =>
          processes
            .start(name, require.resolve(module), env, `http://127.0.0.1:${port}/health`)
            .then((service) => services.set(name, service));
        await Promise.all([
          start('content', '@learnhub/content/main', ports.content),
          start('media', '@learnhub/media/main', ports.media),
          start('search', '@learnhub/search/main', ports.search),
        ]);
        await start('jobs', '@learnhub/jobs/main', ports.jobs);
        token = await signToken(
          { userId: author.userId!, roles: author.roles, organisationId: author.organisationId! },
          JWT_SECRET,
        );
        const mediaIds = {
          coverId: await uploadToMedia(
            `http://127.0.0.1:${ports.media}`,
            token,
            Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(2000)]),
            'cover.png',
          ),
          documentId: await uploadToMedia(
            `http://127.0.0.1:${ports.media}`,
            token,
            Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2000)]),
            'notes.pdf',
          ),
        };
        const directory = new HttpMediaDirectory(`http://127.0.0.1:${ports.media}/graphql`, undefined);
        courseId = await approvedCourse(content, directory, mediaIds, '断网课程 Redis outage', {
          authorization: `Bearer ${token}`,
          requestId: 'outage-setup',
        });
        wakeup = TaskWakeup.for(contentDb.url, { url: proxy.url(), retryMs: 500 });
        cache = new RedisCache(redisUrl, { keyPrefix });
        // Published and cached before any outage, so Redis holds an entry that a republish during the outage makes old.
        await publishAndWait();
        assert.equal((await cachedEntry(cache, courseId))?.version, 1);
      });

      after(async () => {
        const exits = await Promise.allSettled(
          [...services.values()].map(async (service) => `${service.name} ${await service.stop('SIGTERM', 10_000)}`),
        );
        // Any process still starting when setup failed.
        await processes.close();
        await wakeup?.close();
        await cache?.close();
        await proxy?.close();
        await deleteRedisKeys(redisUrl, keyPrefix);
        await content?.close();
        await media?.close();
        await contentDb?.drop();
        await mediaDb?.drop();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
        if (counts.length > 0) console.log(`redis outage faults: ${factory.kind}: ${counts.join('; ')}`);
        const unclean = exits
          .map((exit) => (exit.status === 'fulfilled' ? exit.value : String(exit.reason)))
          .filter((exit) => !exit.endsWith(' 0'));
        assert.deepEqual(unclean, [], 'every process stopped cleanly on SIGTERM');
      });

      const jobsLog = () => services.get('jobs')!.log();
      const describeMessages = async () =>
        JSON.stringify({
          live: await liveMessages(content!, courseId),
          finished: (await finishedMessages(content!, courseId)).length,
        });

      /** Publishes the course again (a new version) and returns that version. */
      async function republish(): Promise<number> {
        return (await act(content!, wakeup!, 'publish', courseId)).version;
      }

      async function publishAndWait(): Promise<number> {
        const finished = (await finishedMessages(content!, courseId)).length;
        const version = await republish();
        await waitUntil(
          'the publish message to finish',
          async () => (await finishedMessages(content!, courseId)).length > finished,
          DEADLINE_MS,
          describeMessages,
        );
        return version;
      }

      /** `publishedCourse` as the public reads it from the content subgraph: its version, or null. */
      async function publishedVersion(): Promise<number | null> {
        const response = await fetch(`http://127.0.0.1:${ports.content}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: 'query($id: ID!) { publishedCourse(id: $id) { version } }',
            variables: { id: courseId },
          }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as {
          data?: { publishedCourse: { version: number } | null };
          errors?: unknown;
        };
        assert.ok(body.data, `publishedCourse answered: ${JSON.stringify(body)}`);
        return body.data.publishedCourse?.version ?? null;
      }

      /** A video browsers cannot play (MPEG-4 part 2 in AVI), its bytes its own, through media's chunked upload (whose merge queues the transcode). */
      async function uploadVideo(round: string, tone: number): Promise<string> {
        const path = join(dataDir!, `lecture-${round}.avi`);
        const source = [
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x120:rate=10',
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=${tone}:sample_rate=22050`,
          '-t',
          '1',
        ];
        await run(findFfmpeg(readConfig().media.ffmpegPath), [
          '-v',
          'error',
          '-y',
          ...source,
          '-c:v',
          'mpeg4',
          '-c:a',
          'mp2',
          path,
        ]);
        // Straight to media (no gateway, so no chunk URLs): chunks go as multipart requests.
        const result = await uploadPath(path, {
          endpoint: `http://127.0.0.1:${ports.media}/graphql`,
          token,
          transport: 'multipart',
          retries: 0,
          requestTimeoutMs: 30_000,
        });
        return result.media.fileMd5;
      }

      const transcoded = async (fileMd5: string) =>
        (
          await sqlRows(media!.em.fork(), 'select finished_by from media_process_history where file_md5 = ?', [fileMd5])
        )[0];

      async function deferrals(): Promise<number> {
        const metrics = await (await fetch(`http://127.0.0.1:${ports.jobs}/metrics`)).text();
        return Number(
          /jobs_deferred_total\{queue="course-publish",service="jobs"\} (\d+)/.exec(metrics)?.[1] ?? Number.NaN,
        );
      }

      for (const fault of ['blackhole', 'refuse'] as const) {
        const how = fault === 'blackhole' ? 'goes silent' : 'refuses connections';
        test(`Redis ${how}: /ready names it, jobs run on database membership, a video is transcoded, a republished course is read at its new version; restored: /ready 200, membership back in Redis, the cache at the new version`, {
          timeout: 300_000,
        }, async () => {
          const jobsPort = ports.jobs;
          const before = await readiness(jobsPort);
          assert.equal(before.status, 200, JSON.stringify(before));
          assert.equal(check(before.checks, 'membership')?.detail, 'in Redis');
          const switches = {
            fallback: jobsLog().match(FALLBACK)?.length ?? 0,
            back: jobsLog().match(RETURN)?.length ?? 0,
          };
          const logBefore = jobsLog().length;
          const deferredBefore = await deferrals();

          await proxy![fault]();
          const down = await waitUntil(
            'jobs /ready to name Redis and report membership in the database',
            async () => {
              const ready = await readiness(jobsPort);
              return ready.status === 503 &&
                check(ready.checks, 'redis')?.ok === false &&
                /in the database/.test(check(ready.checks, 'membership')?.detail ?? '')
                ? ready
                : undefined;
            },
            DEADLINE_MS,
            () => jobsLog().slice(-3000),
          );
          assert.deepEqual(
            down.checks.filter((c) => !c.ok).map((c) => c.name),
            ['redis'],
            'only Redis is down: the databases and the object store answer, and membership works from the database',
          );
          assert.equal(check(down.checks, 'membership')?.ok, true);
          const contentReady = await readiness(ports.content);
          assert.equal(contentReady.status, 503);
          assert.deepEqual(
            contentReady.checks.filter((c) => !c.ok).map((c) => c.name),
            ['redis'],
          );
          const mediaReady = await readiness(ports.media);
          assert.equal(mediaReady.status, mediaUsesRedis ? 503 : 200, JSON.stringify(mediaReady));
          assert.equal(
            check(mediaReady.checks, 'redis')?.ok,
            mediaUsesRedis ? false : undefined,
            'media reports Redis only when its wake-ups use it',
          );

          // A video uploaded now is transcoded by the worker on database membership.
          const fileMd5 = await uploadVideo(fault, fault === 'blackhole' ? 330 : 550);
          const done = await waitUntil(
            'the video uploaded during the outage to be transcoded',
            () => transcoded(fileMd5),
            DEADLINE_MS,
            () => jobsLog().slice(-3000),
          );
          assert.equal(done.finished_by, WORKER);

          // Republished now: the page and the search document follow, the cache entry waits.
          const version = await republish();
          const waiting = await waitUntil(
            'the message to wait for Redis with its page and search document done',
            async () => {
              const [row] = await liveMessages(content!, courseId);
              const stages = row && stageStates(row);
              return stages?.page === StageState.DONE &&
                stages.search === StageState.DONE &&
                /unreachable/.test(String(row.last_error))
                ? row
                : undefined;
            },
            DEADLINE_MS,
            describeMessages,
          );
          assert.equal(stageStates(waiting).cache, StageState.PENDING);
          assert.notEqual(waiting.state, 'FAILED');
          let reads = 0;
          for (let i = 0; i < READS; i++) {
            assert.equal(
              await publishedVersion(),
              version,
              'a public read answers, from the database, at the new version',
            );
            reads++;
          }
          assert.equal((await liveMessages(content!, courseId)).length, 1, 'the message still waits for Redis');

          await proxy!.restore();
          const up = await waitUntil(
            'jobs /ready to be 200 with membership back in Redis',
            async () => {
              const ready = await readiness(jobsPort);
              return ready.status === 200 && check(ready.checks, 'membership')?.detail === 'in Redis'
                ? ready
                : undefined;
            },
            DEADLINE_MS,
            () => jobsLog().slice(-3000),
          );
          assert.ok(up.checks.every((c) => c.ok));
          await waitUntil(
            'content /ready to be 200',
            async () => (await readiness(ports.content)).status === 200,
            DEADLINE_MS,
          );
          await waitUntil(
            'media /ready to be 200',
            async () => (await readiness(ports.media)).status === 200,
            DEADLINE_MS,
          );
          const [finished] = await waitUntil(
            'the waiting message to finish once Redis answers',
            async () => {
              const rows = (await finishedMessages(content!, courseId)).filter(
                (row) => Number(row.business_key2) === version,
              );
              return rows.length > 0 ? rows : undefined;
            },
            DEADLINE_MS,
            describeMessages,
          );
          assert.equal(Number(finished.attempts), 1, 'waiting for Redis used up no attempt');
          assert.equal(stageStates(finished).cache, StageState.DONE);
          assert.equal(
            (await cachedEntry(cache!, courseId))?.version,
            version,
            'the cache holds the new version, not the one Redis kept',
          );
          assert.equal(await publishedVersion(), version);

          const log = jobsLog();
          assert.equal(
            (log.match(FALLBACK)?.length ?? 0) - switches.fallback,
            1,
            'the switch to the database is logged once',
          );
          assert.equal((log.match(RETURN)?.length ?? 0) - switches.back, 1, 'the return to Redis is logged once');
          if (factory.kind === 'mariadb') {
            // MariaDB queues are woken through Redis: the worker's subscriptions were lost and made again.
            const since = jobsLog().slice(logBefore);
            assert.match(since, /"msg":"job wake-ups over Redis are lost; workers poll until Redis answers again"/);
            assert.match(since, /"msg":"job wake-ups over Redis are back"/);
          }
          const deferred = (await deferrals()) - deferredBefore;
          assert.ok(deferred > 0, 'the message waited at least once');
          counts.push(
            `Redis ${fault === 'blackhole' ? 'silent' : 'refusing'}: /ready 503 naming redis on jobs, content${mediaUsesRedis ? ' and media' : ''}; 1 video transcoded on database membership; ${reads} reads answered at v${version} from the database; the cache stage waited ${deferred} times without using an attempt; restored: /ready 200, membership back in Redis, cache at v${version}`,
          );
        });
      }
    });
  }
}
