// `npm run bench`: the publish outbox end to end, as a user runs it. The content, media
// and search subgraphs and the gateway are real processes; jobs workers are real processes on their
// default settings; the cache is Redis. The content database is the embedded SQLite (what a user
// gets by default) and, when a PostgreSQL server answers, a fresh PostgreSQL database.
//
// 1. Lag: approved courses are published through the gateway's `publishCourse` at a steady rate
//    while one worker runs; for each, from the moment the mutation returned (this process'
//    Date.now()) to the message's finished_at_ms in mq_message_history (written by the database's
//    clock when the last stage, the cache, had finished). Every 25th course is also checked from
//    outside: polled until searchCourses finds it and its Redis entry holds it.
//    Goal: p95 < 1 s.
// 2. Throughput: the same courses published again while no worker runs, then 1 (resp. 2) worker
//    processes started and timed until the outbox has drained.
// 3. Baseline, in the same run: the three effects done directly, one course after the other, in
//    this process (read the published record, ask media once, render the page and put it into the
//    same object store, upsert the document through the search service's indexing API, write the
//    cache entry): what the outbox's work costs without the outbox.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { Redis } from 'ioredis';
import { signToken } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { cpuSeconds, runBenchmark } from '@learnhub/platform/bench';
import { createCache } from '@learnhub/platform/cache';
import { databaseKind } from '@learnhub/platform/database';
import { readConfig, type Config } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { createObjectStore } from '@learnhub/platform/object-store';
import { deleteRedisKeys } from '@learnhub/platform/testing';
import { freePort, ServiceProcess } from '@learnhub/platform/testing';
import {
  AuditDecision,
  contentMigrations,
  renderCoursePage,
  COURSE_PAGE_BUCKET,
  coursePageKey,
  snapshotMediaIds,
  publishedCourseKey,
  writePublishedEntry,
  publishedCourseRecord,
  CourseCategoryRepository,
  CoursePublishingRepository,
  CourseRepository,
  TeachplanRepository,
  contentEntities,
  CourseAuditService,
  CourseService,
  TeachplanService,
} from '@learnhub/content/testing';
import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import { HttpMediaDirectory } from '@learnhub/media/client';
import { uploadToMedia } from '@learnhub/media/testing';
import { CourseIndexClient, publishedCourseDocument } from '@learnhub/contracts/course-index';
import { freshPostgres, percentile, printTable, reachableRedis, sleep } from '@learnhub/platform/bench';

const COURSES = Number(process.env.PUBLISH_BENCH_COURSES ?? 500);
/** Published first and left out of every figure (connections, JIT, the search index's first writes). */
const WARM_UP = 10;
/** Publishes per second in the lag phase. */
const RATE = Number(process.env.PUBLISH_BENCH_RATE ?? 20);
/** Every n-th course of the lag phase is also checked from outside (searchCourses and Redis). */
const SAMPLE_EVERY = 25;
const SAMPLE_POLL_MS = 10;
/** Publishes in flight while the outbox is filled for the throughput phases. */
const FILL_CONCURRENCY = 8;
const DRAIN_TIMEOUT_MS = 120_000;
const GOAL_P95_MS = 1_000;
const JWT_SECRET = 'publish-bench-secret-that-is-long-enough-for-hs256';
const ORGANISATION = 'bench-org';
const member: Viewer = { userId: 'bench-member', roles: ['member'], organisationId: ORGANISATION };
const auditor: Viewer = { userId: 'bench-auditor', roles: ['auditor'] };
/** A real 1×1 PNG. */
const COVER_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

// ---------------------------------------------------------------------------------------------
// The platform as processes, as gateway/src/e2e/platform-stack.ts starts it but in production mode
// (what a user runs), each process handed to the harness so it is stopped however the run ends.

interface Stack {
  /** content, media, search, gateway. */
  services: ServiceProcess[];
  /** Those and every jobs worker started, running or not. */
  all: ServiceProcess[];
  env: NodeJS.ProcessEnv;
  config: Config;
  gatewayUrl: string;
  startJobs(names: string[]): Promise<ServiceProcess[]>;
}

/** Starts the services; they and every worker started later also go onto `cleanUp` (the harness' list, stopped however the run ends). */
async function startStack(dataDir: string, extraEnv: NodeJS.ProcessEnv, cleanUp: ServiceProcess[]): Promise<Stack> {
  const services: ServiceProcess[] = [];
  const all: ServiceProcess[] = [];
  const keep = (...started: ServiceProcess[]) => {
    cleanUp.push(...started);
    all.push(...started);
    return started;
  };
  const ports = {
    gateway: await freePort(),
    content: await freePort(),
    media: await freePort(),
    search: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    AUTH_JWT_SECRET: JWT_SECRET,
    GATEWAY_SECRET: randomBytes(16).toString('hex'),
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.gateway),
    CONTENT_PORT: String(ports.content),
    MEDIA_PORT: String(ports.media),
    SEARCH_PORT: String(ports.search),
    PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
    ...extraEnv,
  };
  const health = (port: number) => `http://127.0.0.1:${port}/health`;
  const started = await Promise.allSettled([
    ServiceProcess.start('content', require.resolve('@learnhub/content/main'), env, health(ports.content)),
    ServiceProcess.start('media', require.resolve('@learnhub/media/main'), env, health(ports.media)),
    ServiceProcess.start('search', require.resolve('@learnhub/search/main'), env, health(ports.search)),
  ]);
  services.push(...keep(...started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  services.push(
    ...keep(
      await ServiceProcess.start('gateway', require.resolve('@learnhub/gateway/main'), env, health(ports.gateway)),
    ),
  );
  return {
    services,
    all,
    env,
    config: readConfig({ ...process.env, ...env }),
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    async startJobs(names) {
      const workers = await Promise.all(
        names.map(async (name) => {
          const port = await freePort();
          return ServiceProcess.start(
            name,
            require.resolve('@learnhub/jobs/main'),
            { ...env, JOBS_PORT: String(port), JOBS_WORKER_ID: name },
            health(port),
          );
        }),
      );
      return keep(...workers);
    },
  };
}

interface GraphQLAnswer<T> {
  data?: T;
  errors?: { message: string }[];
}

async function graphql<T>(url: string, query: string, variables: object, token?: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLAnswer<T>;
  if (body.errors?.length || !body.data)
    throw new Error(`GraphQL: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}

// ---------------------------------------------------------------------------------------------
// Setup: approved courses, through content's own services in this process on the same database.

/** The word that finds exactly course `i` (fixed width, so no other course's word starts with it). */
const courseWord = (i: number) => `obench${String(i).padStart(5, '0')}`;

async function approvedCourses(
  orm: MikroORM,
  config: Config,
  token: string,
  coverId: string,
  count: number,
  concurrency: number,
): Promise<string[]> {
  const media = new HttpMediaDirectory(config.gateway.mediaUrl, config.gatewaySecret);
  const caller = { authorization: `Bearer ${token}`, requestId: 'publish-bench-setup' };
  const ids: string[] = new Array(count);
  let next = 0;
  const one = async (i: number) => {
    const em = orm.em.fork();
    const courses = new CourseRepository(em);
    const publishing = new CoursePublishingRepository(em);
    const course = await new CourseService(courses, new CourseCategoryRepository(em), media).create(member, caller, {
      name: `发布基准课程 ${courseWord(i)}`,
      audience: '想了解发布流程的开发者',
      tags: 'Java,微服务,基准',
      mt: '1-3',
      st: '1-3-1',
      grade: CourseGrade.BEGINNER,
      teachingMode: TeachingMode.RECORDED,
      description: `第 ${i} 门基准课程：从发布到可搜索、可缓存的延迟。`,
      coverMediaId: coverId,
      charge: Charge.PAID,
      price: '199.00',
      originalPrice: '299.00',
      validDays: 365,
    });
    const plans = new TeachplanService(courses, new TeachplanRepository(em, courses), media);
    const chapter = await plans.save(member, { courseId: course.id, name: '第一章 入门' });
    await plans.save(member, { courseId: course.id, parentId: chapter.id, name: '第一节 环境准备', preview: true });
    const audits = new CourseAuditService(courses, publishing, media);
    await audits.submit(member, `publish-bench-submit-${i}`, course.id);
    await audits.audit(auditor, { courseId: course.id, decision: AuditDecision.APPROVE, opinion: '审核通过' });
    ids[i] = course.id;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await one(i);
    }),
  );
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Publishing through the gateway, and reading what the workers did.

const PUBLISH = 'mutation($id: ID!) { publishCourse(courseId: $id) { id version } }';

interface Published {
  courseId: string;
  version: number;
  sentAt: number;
  returnedAt: number;
}

/** publishCourse answers that were errors and were sent again, over the whole run; see `publishOne`. */
const refused = { count: 0, example: '' };
const PUBLISH_ATTEMPTS = 30;

/**
 * Publishes one course as a client would: sent again (after 10-50 ms) when the answer is an error,
 * which is counted and reported. On SQLite a publish racing a worker's write fails at once with
 * "database is locked" and its transaction rolls back, so sending it again is what a client does.
 * `sentAt` is the first attempt, `returnedAt` the answer that succeeded.
 */
async function publishOne(url: string, token: string, courseId: string): Promise<Published> {
  const sentAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const data = await graphql<{ publishCourse: { version: number } }>(url, PUBLISH, { id: courseId }, token);
      return { courseId, version: data.publishCourse.version, sentAt, returnedAt: Date.now() };
    } catch (error) {
      refused.count++;
      refused.example ||= error instanceof Error ? error.message : String(error);
      if (attempt >= PUBLISH_ATTEMPTS) throw error;
      await sleep(10 + Math.random() * 40);
    }
  }
}

/** Publishes every course with `concurrency` mutations in flight; returns them and the publishes per second. */
async function publishAll(
  url: string,
  token: string,
  ids: string[],
  concurrency: number,
): Promise<{ published: Published[]; perSecond: number }> {
  const published: Published[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < ids.length; i = next++) published.push(await publishOne(url, token, ids[i]));
    }),
  );
  return { published, perSecond: ids.length / ((performance.now() - start) / 1000) };
}

interface HistoryRow {
  courseId: string;
  finishedAt: number;
  finishedBy: string;
  attempts: number;
}

const query = (orm: MikroORM, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> =>
  orm.em.fork().getConnection().execute(sql, params, 'all');

async function history(orm: MikroORM, version: number): Promise<Map<string, HistoryRow>> {
  const rows = await query(
    orm,
    `select business_key1, finished_at_ms, finished_by, attempts from mq_message_history where business_key2 = ?`,
    [String(version)],
  );
  return new Map(
    rows.map((row) => [
      String(row.business_key1),
      {
        courseId: String(row.business_key1),
        finishedAt: Number(row.finished_at_ms),
        finishedBy: String(row.finished_by),
        attempts: Number(row.attempts),
      },
    ]),
  );
}

/** Waits until every course's message of `version` is in the history; fails with what is left when it takes too long. */
async function drained(orm: MikroORM, version: number, count: number): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const [row] = await query(orm, 'select count(*) as n from mq_message_history where business_key2 = ?', [
      String(version),
    ]);
    if (Number(row.n) >= count) return Date.now();
    if (Date.now() > deadline) {
      const left = await query(
        orm,
        'select id, business_key1, state, attempts, last_error from mq_message order by id limit 5',
      );
      throw new Error(
        `the outbox did not drain within ${DRAIN_TIMEOUT_MS / 1000} s (${row.n} of ${count} finished); first left: ${JSON.stringify(left)}`,
      );
    }
    await sleep(20);
  }
}

/** When each stage of each task finished, from a jobs worker's JSON log (its clock is this machine's). */
interface TaskTimes {
  courseId: string;
  started: number;
  /** Each stage's name and when it finished, in the order the stages ran. */
  stages: Array<[string, number]>;
  succeeded: number;
}

function taskTimes(logs: string[]): Map<string, TaskTimes> {
  const byTask = new Map<string, Partial<TaskTimes> & Pick<TaskTimes, 'stages'>>();
  for (const [worker, log] of logs.entries()) {
    for (const line of log.split('\n')) {
      if (!line.includes('"queue":"course-publish"')) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const key = `${worker}:${String(entry.taskId)}`;
      const task = byTask.get(key) ?? { stages: [] };
      byTask.set(key, task);
      const time = Date.parse(String(entry.time));
      if (entry.msg === 'publish stage finished') {
        task.courseId = String(entry.courseId);
        task.stages.push([String(entry.stage), time]);
      } else if (entry.msg === 'task succeeded') {
        task.succeeded = time;
        task.started = time - Number(entry.durationMs);
      }
    }
  }
  const result = new Map<string, TaskTimes>();
  for (const task of byTask.values()) {
    if (task.courseId && task.succeeded !== undefined) {
      result.set(task.courseId, {
        courseId: task.courseId,
        started: task.started!,
        succeeded: task.succeeded,
        stages: task.stages,
      });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Figures.

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const ms = (value: number) => value.toFixed(0);
const p = (values: number[], q: number) => (values.length ? percentile(sorted(values), q) : NaN);
const spread = (values: number[]) => [ms(p(values, 50)), ms(p(values, 95)), ms(Math.max(...values))];

interface LagResult {
  lags: number[];
  /** From sending the first attempt of publishCourse (a user's click) to finished_at_ms. */
  fromFirstSend: number[];
  sampleSearch: number[];
  sampleCache: number[];
  sampleBoth: number[];
  sampleOutbox: number[];
  mutation: number[];
  /** Where the lag went, per course, from the worker's log: waiting to be claimed, each stage by name in the order they ran, completing. */
  parts: { wait: number[]; stages: Map<string, number[]>; complete: number[] };
  offered: number;
  /** publishCourse answers that were errors (sent again). */
  refused: number;
  /** Messages that needed more than one attempt. */
  retried: number;
}

interface ThroughputResult {
  workers: number;
  fillPerSecond: number;
  readyMs: number;
  wallSeconds: number;
  /** Messages per second between the first and the last finished message. */
  steadyPerSecond: number;
  wallPerSecond: number;
  perWorker: number[];
  /** CPU seconds each process spent from spawning the workers until the outbox had drained. */
  cpu: Record<string, number>;
  serviceP50: number;
  retried: number;
  refused: number;
}

interface BaselineResult {
  perSecond: number;
  /** CPU seconds of this process and of the services it called, over the whole baseline. */
  cpu: Record<string, number>;
  latency: number[];
  parts: Record<'read' | 'media' | 'render+put' | 'search' | 'cache', number[]>;
}

interface DatabaseRun {
  name: string;
  /** The machine's 1-minute load average when the run began and ended (other work on it skews every figure). */
  load: [number, number];
  setupSeconds: number;
  lag: LagResult;
  throughput: ThroughputResult[];
  baseline: BaselineResult;
}

// ---------------------------------------------------------------------------------------------
// The phases.

async function lagPhase(
  stack: Stack,
  orm: MikroORM,
  redis: Redis,
  token: string,
  ids: string[],
  warmUp: string[],
): Promise<LagResult> {
  const [worker] = await stack.startJobs(['jobs-lag']);
  try {
    // Warm-up: published and drained before anything is measured.
    for (const id of warmUp) await publishOne(stack.gatewayUrl, token, id);
    await drained(orm, 1, warmUp.length);

    const refusedBefore = refused.count;
    const published: Published[] = [];
    const samples: Promise<{ courseId: string; search: number; cache: number; returnedAt: number }>[] = [];
    const start = performance.now() + 50;
    const keyPrefix = stack.env.REDIS_KEY_PREFIX!;
    const observe = async (done: Published, i: number) => {
      let search = NaN;
      let cache = NaN;
      const deadline = Date.now() + 30_000;
      while ((Number.isNaN(search) || Number.isNaN(cache)) && Date.now() < deadline) {
        const checks: Promise<void>[] = [];
        if (Number.isNaN(search)) {
          checks.push(
            graphql<{ searchCourses: { hits: { id: string }[] } }>(
              stack.gatewayUrl,
              'query($k: String) { searchCourses(input: { keyword: $k }) { hits { id } } }',
              {
                k: courseWord(i),
              },
            ).then((data) => {
              if (data.searchCourses.hits.some((hit) => hit.id === done.courseId))
                search = Date.now() - done.returnedAt;
            }),
          );
        }
        if (Number.isNaN(cache)) {
          checks.push(
            redis.get(`${keyPrefix}${publishedCourseKey(done.courseId)}`).then((value) => {
              const entry = value ? (JSON.parse(value) as { version: number; record?: unknown }) : undefined;
              if (entry?.record && entry.version >= done.version) cache = Date.now() - done.returnedAt;
            }),
          );
        }
        await Promise.all(checks);
        if (Number.isNaN(search) || Number.isNaN(cache)) await sleep(SAMPLE_POLL_MS);
      }
      if (Number.isNaN(search) || Number.isNaN(cache))
        throw new Error(`course ${done.courseId} was not searchable and cached within 30 s of its publish`);
      return { courseId: done.courseId, search, cache, returnedAt: done.returnedAt };
    };
    // An open loop: course i is sent at start + i / RATE whether or not earlier ones have returned.
    await Promise.all(
      ids.map(async (id, i) => {
        const wait = start + (i * 1000) / RATE - performance.now();
        if (wait > 0) await sleep(wait);
        const done = await publishOne(stack.gatewayUrl, token, id);
        published.push(done);
        if (i % SAMPLE_EVERY === SAMPLE_EVERY - 1) samples.push(observe(done, WARM_UP + i));
      }),
    );
    const sent = sorted(published.map((done) => done.sentAt));
    const offered = (sent.length - 1) / ((sent.at(-1)! - sent[0]) / 1000);
    await drained(orm, 1, warmUp.length + ids.length);
    const observed = await Promise.all(samples);
    const finished = await history(orm, 1);
    const times = taskTimes([worker.log()]);
    const lag = (courseId: string, returnedAt: number) => finished.get(courseId)!.finishedAt - returnedAt;
    const parts: LagResult['parts'] = { wait: [], stages: new Map(), complete: [] };
    for (const done of published) {
      const t = times.get(done.courseId);
      // A message retried after some of its stages finished has no breakdown of one attempt.
      if (!t || t.stages.length === 0 || t.stages.some(([, at]) => at < t.started)) continue;
      parts.wait.push(t.started - done.returnedAt);
      let previous = t.started;
      for (const [stage, at] of t.stages) {
        parts.stages.set(stage, [...(parts.stages.get(stage) ?? []), at - previous]);
        previous = at;
      }
      parts.complete.push(finished.get(done.courseId)!.finishedAt - previous);
    }
    return {
      lags: published.map((done) => lag(done.courseId, done.returnedAt)),
      fromFirstSend: published.map((done) => lag(done.courseId, done.sentAt)),
      sampleSearch: observed.map((o) => o.search),
      sampleCache: observed.map((o) => o.cache),
      sampleBoth: observed.map((o) => Math.max(o.search, o.cache)),
      sampleOutbox: observed.map((o) => lag(o.courseId, o.returnedAt)),
      mutation: published.map((done) => done.returnedAt - done.sentAt),
      parts,
      offered,
      refused: refused.count - refusedBefore,
      retried: [...finished.values()].filter((row) => row.attempts > 1).length,
    };
  } finally {
    await worker.stop('SIGTERM');
  }
}

async function throughputPhase(
  stack: Stack,
  orm: MikroORM,
  token: string,
  ids: string[],
  version: number,
  workers: number,
): Promise<ThroughputResult> {
  const refusedBefore = refused.count;
  const { published, perSecond: fillPerSecond } = await publishAll(stack.gatewayUrl, token, ids, FILL_CONCURRENCY);
  const wrong = published.filter((done) => done.version !== version);
  if (wrong.length) throw new Error(`expected version ${version}, got ${wrong[0].version}`);
  const [queued] = await query(
    orm,
    `select count(*) as n from mq_message where business_key2 = ? and state = 'PENDING'`,
    [String(version)],
  );
  if (Number(queued.n) !== ids.length) throw new Error(`expected ${ids.length} queued messages, found ${queued.n}`);
  const cpuBefore = Object.fromEntries([
    ...stack.services.map((service) => [service.name, cpuSeconds(service.pid)]),
    ['bench', cpuSeconds(process.pid)],
  ]);
  const spawnedAt = Date.now();
  const names = Array.from({ length: workers }, (_, i) => `jobs-v${version}-${i + 1}`);
  const processes = await stack.startJobs(names);
  const readyMs = Date.now() - spawnedAt;
  try {
    const drainedAt = await drained(orm, version, ids.length);
    const cpu: Record<string, number> = Object.fromEntries([
      ...stack.services.map((service) => [service.name, cpuSeconds(service.pid) - cpuBefore[service.name]]),
      ...processes.map((worker) => [worker.name, cpuSeconds(worker.pid)]),
      ['bench', cpuSeconds(process.pid) - cpuBefore.bench],
    ]);
    const finished = [...(await history(orm, version)).values()];
    const finishTimes = sorted(finished.map((row) => row.finishedAt));
    const times = taskTimes(processes.map((worker) => worker.log()));
    // From the worker taking a message to its last stage finishing.
    const service = [...times.values()]
      .filter((t) => ids.includes(t.courseId) && t.stages.length > 0)
      .map((t) => t.stages.at(-1)![1] - t.started);
    const wallSeconds = (drainedAt - spawnedAt) / 1000;
    return {
      workers,
      fillPerSecond,
      readyMs,
      wallSeconds,
      steadyPerSecond: (finished.length - 1) / ((finishTimes.at(-1)! - finishTimes[0]) / 1000),
      wallPerSecond: ids.length / wallSeconds,
      perWorker: names.map((name) => finished.filter((row) => row.finishedBy === name).length),
      cpu,
      serviceP50: p(service, 50),
      retried: finished.filter((row) => row.attempts > 1).length,
      refused: refused.count - refusedBefore,
    };
  } finally {
    await Promise.all(processes.map((worker) => worker.stop('SIGTERM')));
  }
}

async function baselinePhase(stack: Stack, orm: MikroORM, ids: string[]): Promise<BaselineResult> {
  const { config } = stack;
  const media = new HttpMediaDirectory(config.gateway.mediaUrl, config.gatewaySecret);
  const store = createObjectStore(config.objectStore, config.files);
  const index = new CourseIndexClient(config.gateway.searchUrl, config.gatewaySecret);
  const cache = createCache(config);
  const parts: BaselineResult['parts'] = { read: [], media: [], 'render+put': [], search: [], cache: [] };
  const latency: number[] = [];
  const cpuOf = () =>
    Object.fromEntries([
      ['bench', cpuSeconds(process.pid)],
      ...stack.services.map((service) => [service.name, cpuSeconds(service.pid)]),
    ]);
  try {
    const cpuBefore = cpuOf();
    const start = performance.now();
    for (const id of ids) {
      const t0 = performance.now();
      const stored = await new CoursePublishingRepository(orm.em.fork()).published(id);
      // One version past the workers' last, so the index and the cache apply it rather than answer "stale".
      const record = { ...publishedCourseRecord(stored!), version: stored!.version + 1 };
      const t1 = performance.now();
      const described = await media.describe(
        snapshotMediaIds(record.content),
        record.content.organisationId,
        `publish-bench-baseline-${id}`,
      );
      const t2 = performance.now();
      const html = Buffer.from(
        renderCoursePage({
          mode: 'published',
          course: record.content,
          media: described,
          publishedAt: record.publishedAt,
          version: record.version,
        }),
        'utf8',
      );
      await store.put(COURSE_PAGE_BUCKET, coursePageKey(id), html, {
        contentType: 'text/html; charset=utf-8',
        size: html.length,
      });
      const t3 = performance.now();
      const cover = record.content.coverMediaId;
      await index.upsert(publishedCourseDocument(record, cover ? (described.get(cover)?.url ?? null) : null));
      const t4 = performance.now();
      await writePublishedEntry(cache, id, record);
      const t5 = performance.now();
      parts.read.push(t1 - t0);
      parts.media.push(t2 - t1);
      parts['render+put'].push(t3 - t2);
      parts.search.push(t4 - t3);
      parts.cache.push(t5 - t4);
      latency.push(t5 - t0);
    }
    const perSecond = ids.length / ((performance.now() - start) / 1000);
    const cpuAfter = cpuOf();
    const cpu = Object.fromEntries(Object.keys(cpuAfter).map((name) => [name, cpuAfter[name] - cpuBefore[name]]));
    return { perSecond, latency, parts, cpu };
  } finally {
    await Promise.all([store.close(), cache.close()]);
  }
}

async function runOn(
  name: string,
  dataDir: string,
  extraEnv: NodeJS.ProcessEnv,
  redisUrl: string,
  services: ServiceProcess[],
): Promise<DatabaseRun> {
  const prefix = `publish-bench-${randomBytes(6).toString('hex')}:`;
  const stack = await startStack(dataDir, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, ...extraEnv }, services);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const orm = await openDatabase({
    url: stack.config.content.databaseUrl,
    entities: contentEntities,
    migrations: contentMigrations,
  });
  try {
    const token = await signToken(
      { userId: member.userId!, roles: member.roles, organisationId: ORGANISATION },
      JWT_SECRET,
    );
    const loadBefore = loadavg()[0];
    const setupStart = performance.now();
    const coverId = await uploadToMedia(stack.gatewayUrl, token, COVER_PNG, 'cover.png');
    const all = await approvedCourses(
      orm,
      stack.config,
      token,
      coverId,
      WARM_UP + COURSES,
      databaseKind(stack.config.content.databaseUrl) === 'sqlite' ? 1 : 4,
    );
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const warmUp = all.slice(0, WARM_UP);
    const ids = all.slice(WARM_UP);
    console.log(`  ${name}: ${all.length} approved courses set up in ${setupSeconds.toFixed(1)} s; measuring…`);

    const lag = await lagPhase(stack, orm, redis, token, ids, warmUp);
    const throughput = [
      await throughputPhase(stack, orm, token, ids, 2, 1),
      await throughputPhase(stack, orm, token, ids, 3, 2),
    ];
    const baseline = await baselinePhase(stack, orm, ids);
    return { name, load: [loadBefore, loadavg()[0]], setupSeconds, lag, throughput, baseline };
  } catch (error) {
    // What the processes said about it, for the failure message.
    for (const service of stack.all) {
      const problems = service
        .log()
        .split('\n')
        .filter((line) => /"level":(40|50|60)/.test(line))
        .slice(-3);
      if (problems.length) console.error(`${service.name}:\n${problems.map((line) => line.slice(0, 1500)).join('\n')}`);
    }
    throw error;
  } finally {
    await orm.close();
    await deleteRedisKeys(redisUrl, prefix);
    redis.disconnect();
    const exits = await Promise.all(
      stack.all.map(async (service) => [service.name, await service.stop('SIGTERM')] as const),
    );
    const unclean = exits.filter(([, code]) => code !== 0);
    if (unclean.length)
      console.log(
        `  ${name}: unclean exit on SIGTERM: ${unclean.map(([service, code]) => `${service} ${code}`).join(', ')}`,
      );
    if (process.env.PUBLISH_BENCH_LOGS) {
      // Every process' log, for a closer look at a run.
      const logs = join(process.env.PUBLISH_BENCH_LOGS, name.split(' ')[0].toLowerCase());
      mkdirSync(logs, { recursive: true });
      for (const service of stack.all) writeFileSync(join(logs, `${service.name}.log`), service.log());
    }
  }
}

function report(run: DatabaseRun): void {
  const { lag, throughput, baseline } = run;
  console.log(
    `\n== Content database: ${run.name} ==  (setup ${run.setupSeconds.toFixed(1)} s; 1-min load average ${run.load[0].toFixed(2)} at the start, ${run.load[1].toFixed(2)} at the end, on ${availableParallelism()} cores)`,
  );
  console.log(
    `Lag: ${lag.lags.length} courses published through the gateway at ${lag.offered.toFixed(1)}/s (target ${RATE}/s), one worker (PUBLISH_CONCURRENCY default 8); ` +
      `lag = the message's finished_at_ms (database clock) - the moment publishCourse returned (this process' Date.now(); one machine, one clock).`,
  );
  printTable(
    ['measure', 'n', 'p50 ms', 'p95 ms', 'max ms'],
    [
      ['outbox: publishCourse returned -> finished_at_ms', String(lag.lags.length), ...spread(lag.lags)],
      [
        `observed (every ${SAMPLE_EVERY}th): searchCourses finds it`,
        String(lag.sampleSearch.length),
        ...spread(lag.sampleSearch),
      ],
      [
        `observed (every ${SAMPLE_EVERY}th): Redis entry holds it`,
        String(lag.sampleCache.length),
        ...spread(lag.sampleCache),
      ],
      [`observed (every ${SAMPLE_EVERY}th): both`, String(lag.sampleBoth.length), ...spread(lag.sampleBoth)],
      [`outbox, the same sampled courses`, String(lag.sampleOutbox.length), ...spread(lag.sampleOutbox)],
      ['outbox: first attempt sent -> finished_at_ms', String(lag.fromFirstSend.length), ...spread(lag.fromFirstSend)],
      ['publishCourse round trip (from the first attempt)', String(lag.mutation.length), ...spread(lag.mutation)],
      ['  of the lag: returned -> worker started it', String(lag.parts.wait.length), ...spread(lag.parts.wait)],
      ...[...lag.parts.stages].map(([stage, values]) => [
        `  of the lag: ${stage} stage (incl. its record)`,
        String(values.length),
        ...spread(values),
      ]),
      ['  of the lag: last stage -> finished_at_ms', String(lag.parts.complete.length), ...spread(lag.parts.complete)],
      [
        'baseline: the three effects directly, per course',
        String(baseline.latency.length),
        ...spread(baseline.latency),
      ],
    ],
  );
  console.log(
    `Baseline parts, p50 ms: ${Object.entries(baseline.parts)
      .map(([part, values]) => `${part} ${p(values, 50).toFixed(1)}`)
      .join(', ')}.`,
  );
  console.log(
    `publishCourse answered an error ${lag.refused} time(s) during the lag phase (each sent again; the lag counts from the answer that succeeded); ${lag.retried} message(s) needed more than one attempt.`,
  );
  const lagP50 = p(lag.lags, 50);
  console.log(
    `Lag p50 / baseline per-course latency p50: ${(lagP50 / p(baseline.latency, 50)).toFixed(2)} (from publishCourse returning), ${(p(lag.fromFirstSend, 50) / p(baseline.latency, 50)).toFixed(2)} (from the first attempt sent).`,
  );

  console.log(
    `\nThroughput: ${COURSES} messages queued while no worker ran (filled by publishCourse, ${FILL_CONCURRENCY} in flight), then worker processes started.`,
  );
  printTable(
    [
      'workers',
      'fill publishes/s',
      'publish errors',
      'ready ms',
      'drain wall s',
      'msg/s wall',
      'msg/s first->last',
      'per worker',
      'per msg p50 ms',
      'retried',
      'ours/baseline',
    ],
    [
      ...throughput.map((t) => [
        String(t.workers),
        t.fillPerSecond.toFixed(1),
        String(t.refused),
        String(t.readyMs),
        t.wallSeconds.toFixed(2),
        t.wallPerSecond.toFixed(1),
        t.steadyPerSecond.toFixed(1),
        t.perWorker.join('/'),
        t.serviceP50.toFixed(0),
        String(t.retried),
        (t.steadyPerSecond / baseline.perSecond).toFixed(2),
      ]),
      [
        'baseline (1 at a time)',
        '',
        '',
        '',
        (COURSES / baseline.perSecond).toFixed(2),
        baseline.perSecond.toFixed(1),
        baseline.perSecond.toFixed(1),
        '',
        p(baseline.latency, 50).toFixed(0),
        '',
        '1.00',
      ],
    ],
  );
  for (const t of throughput) {
    console.log(
      `CPU seconds from spawning ${t.workers} worker(s) to drained (${t.wallSeconds.toFixed(2)} s wall, 2 cores here): ${Object.entries(
        t.cpu,
      )
        .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`)
        .join(', ')}.`,
    );
  }
  const perMessage = (cpu: Record<string, number>, workerNames: (name: string) => boolean) =>
    (Object.entries(cpu)
      .filter(([name]) => workerNames(name))
      .reduce((sum, [, seconds]) => sum + seconds, 0) *
      1000) /
    COURSES;
  console.log(
    `CPU ms per message: 1 worker process ${perMessage(throughput[0].cpu, (name) => name.startsWith('jobs-')).toFixed(1)} (incl. its start-up), media ${perMessage(throughput[0].cpu, (name) => name === 'media').toFixed(1)}, search ${perMessage(throughput[0].cpu, (name) => name === 'search').toFixed(1)}; ` +
      `baseline: this process ${perMessage(baseline.cpu, (name) => name === 'bench').toFixed(1)}, media ${perMessage(baseline.cpu, (name) => name === 'media').toFixed(1)}, search ${perMessage(baseline.cpu, (name) => name === 'search').toFixed(1)}.`,
  );
  const [one, two] = throughput;
  console.log(
    `2 workers / 1 worker: ${(two.steadyPerSecond / one.steadyPerSecond).toFixed(2)} (first->last), ${(two.wallPerSecond / one.wallPerSecond).toFixed(2)} (wall, from spawning the workers).`,
  );
  const p95 = p(lag.lags, 95);
  const observedP95 = p(lag.sampleBoth, 95);
  console.log(
    `Goal p95 < ${GOAL_P95_MS} ms on ${run.name}: ${p95 < GOAL_P95_MS ? 'met' : 'NOT met'} (outbox ${p95.toFixed(0)} ms; observed from outside ${observedP95.toFixed(0)} ms, ${
      observedP95 < GOAL_P95_MS ? 'met' : 'NOT met'
    }; counted from the first attempt sent, p95 ${p(lag.fromFirstSend, 95).toFixed(0)} ms, ${p(lag.fromFirstSend, 95) < GOAL_P95_MS ? 'met' : 'NOT met'}).`,
  );
}

runBenchmark('publish-outbox', async ({ dir, services }) => {
  console.log(
    `Publish outbox benchmark: content, media, search and the gateway as processes, jobs workers as processes (default settings), Redis for the cache. ` +
      `${COURSES} approved courses (cover image uploaded through the gateway, one chapter with one section) set up through content's services in this process, ` +
      `plus ${WARM_UP} published first as a warm-up. Lag: published at ${RATE}/s with one worker; throughput: ${COURSES} queued, drained by 1 and by 2 workers; ` +
      `baseline: the same three effects done directly in this process, one course at a time. Goal: lag p95 < ${GOAL_P95_MS} ms.\n`,
  );
  const redis = await reachableRedis();
  if ('skipped' in redis) {
    console.log(`Skipped: ${redis.skipped}.`);
    return;
  }
  const runs: DatabaseRun[] = [];
  runs.push(await runOn('SQLite (embedded default)', join(dir, 'sqlite'), {}, redis.url, services));
  const postgres = await freshPostgres();
  if ('skipped' in postgres) console.log(`PostgreSQL: skipped: ${postgres.skipped}.`);
  else {
    try {
      runs.push(
        await runOn('PostgreSQL', join(dir, 'postgres'), { CONTENT_DATABASE_URL: postgres.url }, redis.url, services),
      );
    } finally {
      await postgres.drop();
    }
  }
  for (const run of runs) report(run);
  if (refused.example) console.log(`\nA refused publishCourse answered: ${refused.example}`);
});
