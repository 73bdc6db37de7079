import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { uploadPath } from '@learnhub/upload-client/node';
import { backendUrl } from '@learnhub/platform/testing';
import { postgresTestDatabase, type TestDatabase, type TestDatabaseFactory } from '@learnhub/platform/testing';
import { encodeClip } from '@learnhub/media/testing';
import { graphql, ok, PlatformStack, upload, type GraphQLResult } from './platform-stack';
import { waitUntil } from '@learnhub/platform/testing';

/*
 * The course lifecycle end to end, through the gateway with real processes (content, media,
 * search, gateway, a jobs worker): authoring, a video that needs transcoding, submissions refused
 * while pieces are missing, a rejection and an approval, publishing (static page, search document,
 * Redis cache entry written by the outbox), draft edits that must not leak into the published
 * course, taking it offline and bringing it back online. Runs on the embedded SQLite databases and,
 * when TEST_POSTGRES_URL is set, once more with content on a fresh PostgreSQL database.
 */

const SUITE = 'publishing end to end';
const redisUrl = backendUrl('redis', SUITE);
const postgresUrl = backendUrl('postgres', SUITE);

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The approved name: `<`, `>` and `&` prove the page escapes it; 协程 is the search keyword. */
const NAME = 'Kotlin 协程 <进阶> & 实战';
/** A draft edit made after publishing; 草稿 must never be found. */
const DRAFT_NAME = 'Kotlin 协程 草稿 <改名> & 新版';
const KEYWORD = '协程';
const OPINION = '请补充课程介绍：说明学习本课程需要的 Kotlin 基础';

const PNG = () => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(3000)]);

const SUBMIT =
  'mutation($id: ID!) { submitCourseForAudit(courseId: $id) { courseId name auditStatus submittedBy content { name description } } }';
const AUDIT =
  'mutation($input: AuditCourseInput!) { auditCourse(input: $input) { id courseId decision opinion auditorId } }';
const PUBLISHED_FIELDS =
  'id version status publishedAt onlineAt offlineAt pageUrl content { name description teachplan { name children { name media { id playable } } } }';
const PUBLISH = `mutation($id: ID!) { publishCourse(courseId: $id) { ${PUBLISHED_FIELDS} } }`;
const OFFLINE = `mutation($id: ID!) { takeCourseOffline(courseId: $id) { ${PUBLISHED_FIELDS} } }`;
const ONLINE = `mutation($id: ID!) { bringCourseOnline(courseId: $id) { ${PUBLISHED_FIELDS} } }`;
const PUBLISHED = `query($id: ID!) { publishedCourse(id: $id) { ${PUBLISHED_FIELDS} } }`;
const SEARCH =
  'query($input: CourseSearchInput) { searchCourses(input: $input) { total hits { id name course { id } } } }';
const OUTBOX = `query($filter: OutboxMessageFilter) { outboxMessages(filter: $filter) {
  total items { id courseId version action state attempts stages { name state result finishedAt } lastResult lastError } } }`;

interface FieldProblem {
  field: string;
  message: string;
}
interface PublishedCourse {
  id: string;
  version: number;
  status: string;
  publishedAt: string;
  onlineAt: string | null;
  offlineAt: string | null;
  pageUrl: string;
  content: {
    name: string;
    description: string | null;
    teachplan: { name: string; children: { name: string; media: { id: string; playable: boolean } | null }[] }[];
  };
}
interface OutboxMessage {
  id: string;
  courseId: string;
  version: number;
  action: string;
  state: string;
  attempts: number;
  stages: { name: string; state: string; result: string | null; finishedAt: string | null }[];
  lastResult: string | null;
  lastError: string | null;
}

const errorOf = (result: GraphQLResult<unknown>) => result.errors?.[0];
const refused = (result: GraphQLResult<unknown>, code: string, reason?: string) => {
  const error = errorOf(result);
  assert.ok(error, `expected ${code}, got data ${JSON.stringify(result.data)}`);
  assert.equal(error.extensions?.code, code, JSON.stringify(result.errors));
  if (reason) assert.equal(error.extensions?.reason, reason, JSON.stringify(result.errors));
  return error;
};

interface FlowOptions {
  /** Where content keeps its data; undefined: the stack's embedded SQLite file. */
  contentDatabase?: TestDatabaseFactory;
}

/** The whole lifecycle, registered as the tests of the current describe. */
function publishingFlow({ contentDatabase }: FlowOptions): void {
  let stack: PlatformStack;
  let database: TestDatabase | undefined;
  let redis: Redis | undefined;
  let dir: string;
  let alice: string; // member of the owning organisation
  let mallory: string; // member of another organisation
  let carol: string; // auditor
  let admin: string;
  let courseId: string;
  let sectionId: string;
  let videoId: string;
  let pageUrl: string;
  const gql = <T>(query: string, variables: object = {}, token: string | undefined = alice) =>
    graphql<T>(stack.gatewayUrl, query, variables, token);
  const jobsLog = () => {
    try {
      return stack.service('jobs-1').log().slice(-3000);
    } catch {
      return '(no jobs worker)';
    }
  };

  const search = async (keyword: string) =>
    ok(
      await gql<{
        searchCourses: { total: number; hits: { id: string; name: string; course: { id: string } | null }[] };
      }>(SEARCH, { input: { keyword } }, undefined),
    ).searchCourses;
  const published = async () =>
    ok(await gql<{ publishedCourse: PublishedCourse | null }>(PUBLISHED, { id: courseId }, undefined)).publishedCourse;
  const page = async () => {
    const response = await fetch(pageUrl);
    return { status: response.status, type: response.headers.get('content-type') ?? '', html: await response.text() };
  };
  const cacheKey = () => `${stack.env.REDIS_KEY_PREFIX}published-course:${courseId}`;
  const cached = async (): Promise<{
    version: number;
    record?: { version: number; status: string; content: { name: string } };
    absent?: true;
  } | null> => {
    const value = await redis!.get(cacheKey());
    return value === null ? null : JSON.parse(value);
  };
  const outbox = async () =>
    ok(
      await gql<{ outboxMessages: { total: number; items: OutboxMessage[] } }>(OUTBOX, { filter: { courseId } }, admin),
    ).outboxMessages.items;
  /** Waits for the outbox message carrying `version` to succeed, failing early when it fails for good. */
  const outboxDone = (version: number) =>
    waitUntil(
      `the outbox message of version ${version} to succeed`,
      async () => {
        const message = (await outbox()).find((m) => m.version === version);
        assert.notEqual(message?.state, 'CANCELLED', JSON.stringify(message));
        return message?.state === 'SUCCEEDED' && message;
      },
      30_000,
      async () => `${JSON.stringify(await outbox())}\n${jobsLog()}`,
    );

  /** What a published page shows, and the three copies the outbox keeps up to `version`. */
  const assertPublishedEverywhere = async (version: number) => {
    await waitUntil(
      `search to find the course (version ${version})`,
      async () => (await search(KEYWORD)).hits.some((h) => h.id === courseId && h.name === NAME),
      30_000,
      async () => `found by ${KEYWORD}: ${JSON.stringify(await search(KEYWORD))}`,
    );
    await waitUntil(
      `the page to show version ${version}`,
      async () => {
        const current = await page();
        return current.status === 200 && /^text\/html/.test(current.type) && current.html.includes(`第 ${version} 版`);
      },
      30_000,
      async () => {
        const current = await page();
        return `${current.status} ${current.type}: ${current.html.slice(-400)}`;
      },
    );
    const current = await page();
    assert.ok(current.html.includes(escapeHtml(NAME)), 'the page shows the escaped approved name');
    assert.ok(!current.html.includes('<进阶>'), 'the name reaches the page unescaped');
    assert.ok(
      !current.html.includes(escapeHtml(DRAFT_NAME)) && !current.html.includes('草稿'),
      'the page shows a draft edit',
    );
    assert.ok(!current.html.includes('已下架'));
    // A preview section's video is public once published: the static page links it by a plain, lasting URL.
    assert.match(current.html, /<video[^>]+src="[^"?]+\.mp4"/, 'the page plays the transcoded video by a plain URL');
    if (redis) {
      const entry = await waitUntil(
        `the cache to hold version ${version}`,
        async () => {
          const entry = await cached();
          return entry?.version === version && entry;
        },
        30_000,
        async () => JSON.stringify(await cached()),
      );
      assert.equal(entry.record?.version, version);
      assert.equal(entry.record?.status, 'PUBLISHED');
      assert.equal(entry.record?.content.name, NAME);
    }
    const read = await published();
    assert.ok(read, 'publishedCourse is null');
    assert.equal(read.version, version);
    assert.equal(read.status, 'PUBLISHED');
    assert.equal(read.content.name, NAME);
    assert.equal(read.pageUrl, pageUrl);
    await outboxDone(version);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-publishing-e2e-'));
    database = await contentDatabase?.create();
    const env: NodeJS.ProcessEnv = { JOBS_POLL_MS: '200', JOBS_HEARTBEAT_MS: '300', JOBS_RETRY_BASE_MS: '500' };
    if (redisUrl) env.REDIS_URL = redisUrl;
    if (database) env.CONTENT_DATABASE_URL = database.url;
    // No jobs worker yet: the video's transcode waits for one, so it is certainly not playable
    // when the course is first submitted with it. The worker starts once that has been checked.
    stack = await PlatformStack.start(env);
    if (redisUrl) redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    alice = await stack.token('alice', ['member'], 'org-kotlin');
    mallory = await stack.token('mallory', ['member'], 'org-other');
    carol = await stack.token('carol', ['auditor']);
    admin = await stack.token('root', ['admin']);
  });
  after(async () => {
    if (redis && stack) {
      // Leave nothing behind in a shared Redis: every key of this stack carries its prefix.
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${stack.env.REDIS_KEY_PREFIX}*`, 'COUNT', 500);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      if (keys.length) await redis.del(...keys);
    }
    await redis?.quit();
    try {
      await stack?.stop();
    } finally {
      await database?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  test('submitting an incomplete course names every missing piece: cover, a chapter with a section, then the video not yet playable', async () => {
    const created = ok(
      await gql<{ createCourse: { id: string; auditStatus: string; publishStatus: string } }>(
        'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id auditStatus publishStatus } }',
        {
          input: {
            name: NAME,
            audience: '有 Java 基础的 Android 开发者',
            tags: 'Kotlin,协程',
            mt: '1-3',
            st: '1-3-1',
            grade: 'INTERMEDIATE',
            teachingMode: 'RECORDED',
            charge: 'PAID',
            price: '99',
            validDays: 365,
          },
        },
      ),
    ).createCourse;
    courseId = created.id;
    assert.deepEqual([created.auditStatus, created.publishStatus], ['NOT_SUBMITTED', 'UNPUBLISHED']);
    const chapter = ok(
      await gql<{ saveTeachplan: { id: string } }>(
        'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }',
        { input: { courseId, name: '第一章 协程基础' } },
      ),
    ).saveTeachplan;

    // No cover, and a chapter without a section does not count as a plan.
    const bare = refused(await gql(SUBMIT, { id: courseId }), 'BAD_USER_INPUT', 'COURSE_INCOMPLETE');
    assert.deepEqual((bare.extensions!.fields as FieldProblem[]).map((f) => f.field).sort(), [
      'coverMediaId',
      'teachplan',
    ]);
    // Another organisation cannot even see it.
    refused(await gql(SUBMIT, { id: courseId }, mallory), 'NOT_FOUND');

    const cover = ok(
      await upload<{ uploadFile: { id: string } }>(
        stack.gatewayUrl,
        'mutation($file: Upload!) { uploadFile(file: $file) { id } }',
        new Blob([PNG()]),
        'cover.png',
        alice,
      ),
    ).uploadFile.id;
    ok(
      await gql('mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id } }', {
        id: courseId,
        input: { coverMediaId: cover },
      }),
    );
    sectionId = ok(
      await gql<{ saveTeachplan: { id: string } }>(
        'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }',
        {
          input: { courseId, parentId: chapter.id, name: '1.1 挂起函数', preview: true, durationSeconds: 3 },
        },
      ),
    ).saveTeachplan.id;

    // A real AVI (MPEG-4 part 2 + MP2) that browsers cannot play: it needs transcoding.
    const avi = join(dir, 'coroutines.avi');
    await encodeClip(avi, { seconds: 3, size: '320x240', fps: 15, codecs: ['-c:v', 'mpeg4', '-c:a', 'mp2'] });
    const { media } = await uploadPath(avi, { endpoint: `${stack.gatewayUrl}/graphql`, token: alice });
    videoId = media.id;
    const bound = ok(
      await gql<{ bindTeachplanMedia: { media: { id: string; playable: boolean; transcodeState: string } } }>(
        'mutation($input: BindTeachplanMediaInput!) { bindTeachplanMedia(input: $input) { id media { id playable transcodeState } } }',
        { input: { teachplanId: sectionId, mediaId: videoId } },
      ),
    ).bindTeachplanMedia;
    assert.equal(bound.media.playable, false);
    assert.equal(bound.media.transcodeState, 'PENDING');

    const unplayable = refused(await gql(SUBMIT, { id: courseId }), 'BAD_USER_INPUT', 'COURSE_INCOMPLETE');
    const fields = unplayable.extensions!.fields as FieldProblem[];
    assert.deepEqual(
      fields.map((f) => f.field),
      [`teachplan.${sectionId}.media`],
    );
    assert.match(fields[0].message, /not yet playable/);
    assert.match(unplayable.message, /1\.1 挂起函数/);

    const course = ok(
      await gql<{ course: { auditStatus: string; auditSnapshot: unknown } }>(
        'query($id: ID!) { course(id: $id) { auditStatus auditSnapshot { courseId } } }',
        { id: courseId },
      ),
    ).course;
    assert.deepEqual(
      course,
      { auditStatus: 'NOT_SUBMITTED', auditSnapshot: null },
      'a refused submission leaves no trace',
    );
  });

  test('once transcoded the course is submitted; a second submission, an early publish, a member auditing and a bare rejection are refused; the auditor rejects with an opinion', async () => {
    await stack.startJobs();
    await waitUntil(
      'the video to be transcoded',
      async () => {
        const media = ok(
          await gql<{ media: { playable: boolean; transcodeState: string } }>(
            'query($id: ID!) { media(id: $id) { playable transcodeState } }',
            { id: videoId },
          ),
        ).media;
        assert.notEqual(media.transcodeState, 'FAILED', jobsLog());
        return media.playable;
      },
      90_000,
      jobsLog,
      200,
    );

    const submitted = ok(
      await gql<{ submitCourseForAudit: { courseId: string; name: string; auditStatus: string; submittedBy: string } }>(
        SUBMIT,
        { id: courseId },
      ),
    ).submitCourseForAudit;
    assert.deepEqual(
      [submitted.courseId, submitted.name, submitted.auditStatus, submitted.submittedBy],
      [courseId, NAME, 'SUBMITTED', 'alice'],
    );

    refused(await gql(SUBMIT, { id: courseId }), 'CONFLICT', 'ALREADY_SUBMITTED');
    refused(await gql(PUBLISH, { id: courseId }), 'CONFLICT', 'NOT_APPROVED');
    refused(await gql(AUDIT, { input: { courseId, decision: 'APPROVE', opinion: '我自己批准' } }), 'FORBIDDEN');
    refused(await gql(AUDIT, { input: { courseId, decision: 'REJECT' } }, carol), 'BAD_USER_INPUT');
    refused(await gql(AUDIT, { input: { courseId, decision: 'REJECT', opinion: '   ' } }, carol), 'BAD_USER_INPUT');

    const rejection = ok(
      await gql<{ auditCourse: { courseId: string; decision: string; opinion: string; auditorId: string } }>(
        AUDIT,
        { input: { courseId, decision: 'REJECT', opinion: OPINION } },
        carol,
      ),
    ).auditCourse;
    assert.deepEqual(
      [rejection.courseId, rejection.decision, rejection.opinion, rejection.auditorId],
      [courseId, 'REJECT', OPINION, 'carol'],
    );
    const course = ok(
      await gql<{ course: { auditStatus: string; publishStatus: string } }>(
        'query($id: ID!) { course(id: $id) { auditStatus publishStatus } }',
        { id: courseId },
      ),
    ).course;
    assert.deepEqual(course, { auditStatus: 'REJECTED', publishStatus: 'UNPUBLISHED' });
    refused(await gql(PUBLISH, { id: courseId }), 'CONFLICT', 'NOT_APPROVED');
  });

  test('the member fixes what the auditor asked for and submits again; the queue shows it rendered; the auditor approves', async () => {
    ok(
      await gql('mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id } }', {
        id: courseId,
        input: { description: '需要会写 Kotlin 基础语法；从挂起函数讲到 Flow。' },
      }),
    );
    const again = ok(
      await gql<{ submitCourseForAudit: { auditStatus: string; content: { name: string; description: string } } }>(
        SUBMIT,
        { id: courseId },
      ),
    ).submitCourseForAudit;
    assert.equal(again.auditStatus, 'SUBMITTED');
    assert.match(again.content.description, /Kotlin 基础语法/);

    refused(await gql('{ auditQueue { total } }'), 'FORBIDDEN');
    const queue = ok(
      await gql<{
        auditQueue: { total: number; items: { courseId: string; name: string; auditStatus: string; html: string }[] };
      }>('{ auditQueue { total items { courseId name auditStatus html } } }', {}, carol),
    ).auditQueue;
    const waiting = queue.items.find((item) => item.courseId === courseId);
    assert.ok(waiting, `not in the queue: ${JSON.stringify(queue.items.map((i) => i.courseId))}`);
    assert.equal(waiting.name, NAME);
    assert.equal(waiting.auditStatus, 'SUBMITTED');
    assert.ok(waiting.html.includes(escapeHtml(NAME)), 'the queue renders the escaped name');
    assert.ok(!waiting.html.includes('<进阶>'));
    // Not published yet, so the video is private: the auditor's rendering links it by a signed URL.
    assert.match(waiting.html, /<video[^>]+src="[^"]+\.mp4\?expires=\d+&amp;signature=[\w-]+"/);

    ok(await gql(AUDIT, { input: { courseId, decision: 'APPROVE', opinion: '内容完整，同意发布' } }, carol));
    refused(await gql(AUDIT, { input: { courseId, decision: 'APPROVE' } }, carol), 'CONFLICT', 'NOT_SUBMITTED');
    const history = ok(
      await gql<{
        course: {
          auditStatus: string;
          auditHistory: { decision: string; opinion: string; auditorId: string }[];
          auditSnapshot: { auditStatus: string; auditedBy: string };
        };
      }>(
        'query($id: ID!) { course(id: $id) { auditStatus auditHistory { decision opinion auditorId } auditSnapshot { auditStatus auditedBy } } }',
        { id: courseId },
      ),
    ).course;
    assert.equal(history.auditStatus, 'APPROVED');
    assert.deepEqual(history.auditSnapshot, { auditStatus: 'APPROVED', auditedBy: 'carol' });
    assert.deepEqual(history.auditHistory, [
      { decision: 'APPROVE', opinion: '内容完整，同意发布', auditorId: 'carol' },
      { decision: 'REJECT', opinion: OPINION, auditorId: 'carol' },
    ]);
  });

  test('publishing (the owner only) puts out the page, the search document and the cache entry at version 1', async () => {
    refused(await gql(PUBLISH, { id: courseId }, mallory), 'NOT_FOUND');
    const publishedNow = ok(await gql<{ publishCourse: PublishedCourse }>(PUBLISH, { id: courseId })).publishCourse;
    assert.equal(publishedNow.version, 1);
    assert.equal(publishedNow.status, 'PUBLISHED');
    assert.equal(publishedNow.content.name, NAME);
    assert.match(publishedNow.pageUrl, new RegExp(`course/${courseId}\\.html$`));
    pageUrl = publishedNow.pageUrl;
    refused(await gql(ONLINE, { id: courseId }), 'CONFLICT', 'PUBLISH_STATUS');

    await assertPublishedEverywhere(1);
    const read = (await published())!;
    assert.deepEqual(
      read.content.teachplan.map((c) => c.children.map((s) => [s.name, s.media?.id, s.media?.playable])),
      [[['1.1 挂起函数', videoId, true]]],
    );
  });

  test('draft edits after publishing change the preview, not the published course, its page or its search hit', async () => {
    ok(
      await gql('mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id } }', {
        id: courseId,
        input: { name: DRAFT_NAME },
      }),
    );

    const preview = ok(
      await gql<{ coursePreview: { html: string; course: { id: string; name: string } } }>(
        'query($id: ID!) { coursePreview(id: $id) { html course { id name } } }',
        { id: courseId },
      ),
    ).coursePreview;
    assert.equal(preview.course.name, DRAFT_NAME);
    assert.ok(preview.html.includes(escapeHtml(DRAFT_NAME)), 'the preview shows the escaped draft name');
    assert.ok(!preview.html.includes('<改名>'));
    assert.match(
      preview.html,
      /<video[^>]+src="[^"]+\.mp4(\?expires=\d+&amp;signature=[\w-]+)?"/,
      'the preview plays the section',
    );

    const read = (await published())!;
    assert.equal(read.version, 1);
    assert.equal(read.content.name, NAME);
    const current = await page();
    assert.ok(current.html.includes(escapeHtml(NAME)) && current.html.includes('第 1 版'));
    assert.ok(!current.html.includes('草稿'));
    const found = await search(KEYWORD);
    assert.deepEqual(
      found.hits.filter((h) => h.id === courseId).map((h) => h.name),
      [NAME],
    );
    assert.equal((await search('草稿')).hits.filter((h) => h.id === courseId).length, 0);
    if (redis) assert.equal((await cached())?.record?.content.name, NAME);
    // Nothing was queued for the edit.
    assert.deepEqual(
      (await outbox()).map((m) => m.version),
      [1],
    );
  });

  test('taking it offline removes it from search and the cache, replaces the page with a notice, and hides it', async () => {
    const offline = ok(await gql<{ takeCourseOffline: PublishedCourse }>(OFFLINE, { id: courseId })).takeCourseOffline;
    assert.equal(offline.version, 2);
    assert.equal(offline.status, 'OFFLINE');
    assert.ok(offline.offlineAt);
    refused(await gql(OFFLINE, { id: courseId }), 'CONFLICT', 'PUBLISH_STATUS');

    await waitUntil(
      'search to no longer find it',
      async () => (await search(KEYWORD)).hits.every((h) => h.id !== courseId),
      30_000,
    );
    const notice = await waitUntil(
      'the page to be the offline notice',
      async () => {
        const current = await page();
        return current.status === 200 && current.html.includes('已下架') && current;
      },
      30_000,
      async () => (await page()).html.slice(0, 300),
    );
    assert.ok(!/<video/.test(notice.html), 'the offline page still has a player');
    assert.ok(!notice.html.includes('第 1 版'));
    if (redis) {
      await waitUntil(
        'the cache to no longer hold it',
        async () => {
          const entry = await cached();
          return entry === null || !('record' in entry);
        },
        30_000,
        async () => JSON.stringify(await cached()),
      );
    }
    await waitUntil('publishedCourse to be null', async () => (await published()) === null, 30_000);
    const course = ok(
      await gql<{ course: { publishStatus: string } }>('query($id: ID!) { course(id: $id) { publishStatus } }', {
        id: courseId,
      }),
    ).course;
    assert.equal(course.publishStatus, 'OFFLINE');
    await outboxDone(2);
  });

  test('bringing it back online republishes the approved snapshot at version 3, never the draft', async () => {
    refused(await gql(ONLINE, { id: courseId }, mallory), 'NOT_FOUND');
    const online = ok(await gql<{ bringCourseOnline: PublishedCourse }>(ONLINE, { id: courseId })).bringCourseOnline;
    assert.equal(online.version, 3);
    assert.equal(online.status, 'PUBLISHED');
    assert.equal(online.content.name, NAME);
    refused(await gql(ONLINE, { id: courseId }), 'CONFLICT', 'PUBLISH_STATUS');

    await assertPublishedEverywhere(3);
    assert.equal((await search('草稿')).hits.filter((h) => h.id === courseId).length, 0);
  });

  test('the outbox shows the three messages succeeded with every stage done', async () => {
    refused(await gql(OUTBOX, { filter: { courseId } }), 'FORBIDDEN');
    const messages = (await outbox()).sort((a, b) => a.version - b.version);
    const cache = redisUrl ? 'DONE' : 'SKIPPED';
    // The stages whose effects this suite checks, in the processor's order; any others only have to be finished.
    const checked = (stages: OutboxMessage['stages']) =>
      stages
        .filter((stage) => ['page', 'search', 'cache'].includes(stage.name))
        .map((stage) => `${stage.name} ${stage.state}`);
    assert.deepEqual(
      messages.map((m) => ({
        courseId: m.courseId,
        version: m.version,
        action: m.action,
        state: m.state,
        stages: checked(m.stages),
      })),
      [
        {
          courseId,
          version: 1,
          action: 'PUBLISH',
          state: 'SUCCEEDED',
          stages: ['page DONE', 'search DONE', `cache ${cache}`],
        },
        {
          courseId,
          version: 2,
          action: 'OFFLINE',
          state: 'SUCCEEDED',
          stages: ['page DONE', 'search DONE', `cache ${cache}`],
        },
        {
          courseId,
          version: 3,
          action: 'ONLINE',
          state: 'SUCCEEDED',
          stages: ['page DONE', 'search DONE', `cache ${cache}`],
        },
      ],
      JSON.stringify(messages),
    );
    for (const message of messages) {
      assert.ok(message.attempts >= 1, JSON.stringify(message));
      assert.ok(
        message.stages.every((stage) => stage.state !== 'PENDING' && stage.result && stage.finishedAt),
        `each stage finished and says what it did and when: ${JSON.stringify(message.stages)}`,
      );
    }
    const filtered = ok(
      await gql<{ outboxMessages: { items: OutboxMessage[] } }>(
        OUTBOX,
        { filter: { courseId, state: 'SUCCEEDED' } },
        admin,
      ),
    ).outboxMessages.items;
    assert.equal(filtered.length, 3);
  });
}

describe(
  `${SUITE} on the embedded SQLite databases${redisUrl ? ' with Redis' : ' without Redis (cache stage SKIPPED)'}`,
  { timeout: 300_000 },
  () => publishingFlow({}),
);
if (postgresUrl) {
  describe(
    `${SUITE} with content on PostgreSQL${redisUrl ? ' and Redis' : ' without Redis (cache stage SKIPPED)'}`,
    { timeout: 300_000 },
    () => publishingFlow({ contentDatabase: postgresTestDatabase(postgresUrl) }),
  );
}
