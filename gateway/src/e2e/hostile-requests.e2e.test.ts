import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signToken } from '@learnhub/platform/auth';
import { rawExchange, type RawOutcome, type RawRequest } from '../testing/raw-http-exchange';
import { graphql, ok, PlatformStack, TEST_JWT_SECRET, upload, type GraphQLResult } from './platform-stack';
import { waitUntil } from '@learnhub/platform/testing';

/*
 * Requests a careless or hostile client sends, one case per rule, through the gateway of real
 * processes: broken multipart bodies, control characters in names and text, private file URLs
 * tampered with, paid sections, tenants holding the same bytes, quotas, security headers in
 * production, CORS. Each answer is a 4xx with a coded JSON error (never INTERNAL, never a 5xx),
 * and every process still answers /health afterwards.
 */

const CASE_TIMEOUT = 60_000;
const png = () => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(3000)]);
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3000)]);
const UPLOAD =
  'mutation($file: Upload!, $input: UploadFileInput) { uploadFile(file: $file, input: $input) { id fileName url tags remark } }';

interface Media {
  id: string;
  fileName: string;
  url: string;
  tags: string | null;
  remark: string | null;
}

const refused = (result: GraphQLResult<unknown>, code: string) => {
  const error = result.errors?.[0];
  assert.ok(error, `expected ${code}, got data ${JSON.stringify(result.data)}`);
  assert.equal(error.extensions?.code, code, JSON.stringify(result.errors));
  return error;
};

/** A 4xx answer whose JSON body is `{ errors: [{ message, extensions: { code } }] }` with one of `codes`. */
function assertCodedRefusal(
  outcome: RawOutcome,
  codes = ['BAD_USER_INPUT', 'PAYLOAD_TOO_LARGE'],
): { message: string; code: string } {
  assert.equal(outcome.kind, 'response', `no answer: ${JSON.stringify(outcome)}`);
  if (outcome.kind !== 'response') throw new Error('unreachable');
  const text = outcome.body.toString('utf8');
  assert.ok(
    outcome.status >= 400 && outcome.status < 500,
    `expected a 4xx, got ${outcome.status}: ${text.slice(0, 500)}`,
  );
  let body: { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${outcome.status} answer is not JSON (${outcome.headers['content-type']}): ${text.slice(0, 500)}`);
  }
  const error = body.errors?.[0];
  assert.equal(typeof error?.message, 'string', text);
  assert.ok(
    codes.includes(String(error?.extensions?.code)),
    `code ${error?.extensions?.code} not one of ${codes.join(', ')}: ${text}`,
  );
  return { message: String(error!.message), code: String(error!.extensions!.code) };
}

/** Every process of the stack is still running and answers /health. */
async function assertAllHealthy(stack: PlatformStack): Promise<void> {
  for (const name of ['gateway', 'content', 'media', 'search']) {
    const service = stack.service(name);
    assert.equal(service.child.exitCode, null, `${name} exited:\n${service.log().slice(-3000)}`);
    assert.equal(service.child.signalCode, null, `${name} was killed by ${service.child.signalCode}`);
  }
  for (const [name, port] of Object.entries(stack.ports)) {
    const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
    assert.equal(health.status, 200, `${name} /health`);
  }
}

/** The brief's multipart body: operations, an empty map, then a third part with `header` as its (broken) header block. */
function multipartWith(header: Buffer, boundary = 'XX'): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n`,
    ),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{}\r\n`),
    Buffer.from(`--${boundary}\r\n`),
    header,
    Buffer.from(`\r\n\r\nx\r\n--${boundary}--\r\n`),
  ]);
}
const disposition = (name: string, filename: string) =>
  Buffer.from(`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, 'latin1');
const withType = (type: string) =>
  Buffer.concat([disposition('0', 'notes.txt'), Buffer.from(`\r\nContent-Type: ${type}`, 'latin1')]);

/** An uploadFile request whose file part has `fileHeader` as its Content-Disposition parameters. */
function uploadBody(fileHeader: string, file: Buffer, boundary = 'XX'): Buffer {
  const operations = JSON.stringify({ query: UPLOAD, variables: { file: null } });
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; ${fileHeader}\r\nContent-Type: text/plain\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

interface SectionPlan {
  name: string;
  preview: boolean;
  mediaId: string;
}

describe('hostile requests, one rule at a time, through the gateway of real processes', { timeout: 600_000 }, () => {
  let stack: PlatformStack;
  let member: string; // organisation A
  let memberB: string; // organisation B
  let auditor: string;
  // null is anonymous: an explicit undefined would fall back to the default token.
  const gql = <T>(query: string, variables: object = {}, token: string | null = member) =>
    graphql<T>(stack.gatewayUrl, query, variables, token ?? undefined);
  const post = (
    body: Buffer,
    contentType: string,
    headers: Record<string, string> = {},
    extra: Partial<RawRequest> = {},
  ) =>
    rawExchange(
      stack.ports.gateway,
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': contentType, 'apollo-require-preflight': 'true', ...headers },
        body,
        ...extra,
      },
      10_000,
    );
  const uploadAs = async (token: string, bytes: Buffer, name: string, input?: object) =>
    ok(
      await upload<{ uploadFile: Media }>(
        stack.gatewayUrl,
        UPLOAD,
        new Blob([bytes]),
        name,
        token,
        input ? { input } : {},
      ),
    ).uploadFile;

  /** Authors, submits, approves and publishes a course of `token`'s organisation with one chapter of `sections`. */
  async function publishCourse(token: string, name: string, coverId: string, sections: SectionPlan[]) {
    const courseId = ok(
      await gql<{ createCourse: { id: string } }>(
        'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }',
        {
          input: {
            name,
            audience: '想学的人',
            mt: '1-3',
            st: '1-3-1',
            grade: 'BEGINNER',
            teachingMode: 'RECORDED',
            charge: 'PAID',
            price: '99',
            coverMediaId: coverId,
          },
        },
        token,
      ),
    ).createCourse.id;
    const SAVE = 'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }';
    const chapterId = ok(
      await gql<{ saveTeachplan: { id: string } }>(SAVE, { input: { courseId, name: '第一章' } }, token),
    ).saveTeachplan.id;
    const sectionIds: string[] = [];
    for (const section of sections) {
      const id = ok(
        await gql<{ saveTeachplan: { id: string } }>(
          SAVE,
          { input: { courseId, parentId: chapterId, name: section.name, preview: section.preview } },
          token,
        ),
      ).saveTeachplan.id;
      ok(
        await gql(
          'mutation($input: BindTeachplanMediaInput!) { bindTeachplanMedia(input: $input) { id } }',
          { input: { teachplanId: id, mediaId: section.mediaId } },
          token,
        ),
      );
      sectionIds.push(id);
    }
    ok(await gql('mutation($id: ID!) { submitCourseForAudit(courseId: $id) { courseId } }', { id: courseId }, token));
    ok(
      await gql(
        'mutation($input: AuditCourseInput!) { auditCourse(input: $input) { id } }',
        { input: { courseId, decision: 'APPROVE', opinion: '同意' } },
        auditor,
      ),
    );
    const published = ok(
      await gql<{ publishCourse: { pageUrl: string } }>(
        'mutation($id: ID!) { publishCourse(courseId: $id) { pageUrl } }',
        { id: courseId },
        token,
      ),
    ).publishCourse;
    return { courseId, sectionIds, pageUrl: published.pageUrl };
  }

  before(async () => {
    stack = await PlatformStack.start(
      {
        UPLOAD_QUOTA_SESSIONS: '5',
        UPLOAD_QUOTA_BYTES: String(1024 ** 3),
        CORS_ORIGINS: 'https://app.example.com',
        JOBS_POLL_MS: '200',
      },
      { jobs: 1 },
    );
    member = await stack.token('alice', ['member'], 'org-a');
    memberB = await stack.token('bob', ['member'], 'org-b');
    auditor = await stack.token('carol', ['auditor']);
  });
  after(() => stack?.stop());

  describe('1. broken multipart bodies and bad JSON are 4xx with a coded JSON error, and nothing falls over', () => {
    const brokenHeaders: [string, Buffer][] = [
      ['a NUL in a filename', disposition('0', 'a\0b.txt')],
      ['a CR in a filename', disposition('0', 'a\rb.txt')],
      ['a \\x01 in a filename', disposition('0', 'a\x01b.txt')],
      ['a NUL in a field name', disposition('a\0b', 'notes.txt')],
      ['a CR in a field name', disposition('a\rb', 'notes.txt')],
      ['a \\x01 in a field name', disposition('a\x01b', 'notes.txt')],
      ['a NUL in a part Content-Type', withType('text/pl\0ain')],
      ['a CR in a part Content-Type', withType('text/pl\rain')],
      ['a \\x01 in a part Content-Type', withType('text/pl\x01ain')],
      ['a header line without a colon', Buffer.from('broken header line')],
      [
        'a 20 KB header line',
        Buffer.concat([disposition('0', 'notes.txt'), Buffer.from(`\r\nX-Long: ${'a'.repeat(20 * 1024)}`)]),
      ],
    ];
    test('control: the same body with a well-formed third part is answered 200', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const outcome = await post(multipartWith(disposition('0', 'notes.txt')), 'multipart/form-data; boundary=XX', {
        authorization: `Bearer ${member}`,
      });
      assert.equal(
        outcome.kind === 'response' && outcome.status,
        200,
        JSON.stringify(outcome.kind === 'response' ? outcome.body.toString() : outcome),
      );
    });

    for (const [what, header] of brokenHeaders) {
      test(`one part header with ${what}`, { timeout: CASE_TIMEOUT }, async () => {
        assertCodedRefusal(
          await post(multipartWith(header), 'multipart/form-data; boundary=XX', { authorization: `Bearer ${member}` }),
        );
        await assertAllHealthy(stack);
      });
    }

    test('an empty multipart body', { timeout: CASE_TIMEOUT }, async () => {
      assertCodedRefusal(await post(Buffer.alloc(0), 'multipart/form-data; boundary=XX'));
      await assertAllHealthy(stack);
    });

    test('a multipart body without its closing boundary', { timeout: CASE_TIMEOUT }, async () => {
      const whole = uploadBody('filename="notes.txt"', Buffer.from('plain notes\n'.repeat(50)));
      const unterminated = whole.subarray(0, whole.lastIndexOf('--XX--'));
      assertCodedRefusal(
        await post(unterminated, 'multipart/form-data; boundary=XX', { authorization: `Bearer ${member}` }),
      );
      await assertAllHealthy(stack);
    });

    test('a client closing the socket mid-part: no 5xx, and the next upload works', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const body = uploadBody('filename="notes.txt"', Buffer.from('plain notes\n'.repeat(5000)));
      const cut = await post(
        body,
        'multipart/form-data; boundary=XX',
        { authorization: `Bearer ${member}` },
        { cutAfter: Math.floor(body.length / 2) },
      );
      // The client is gone, so an answer may never arrive; if one does, it is a coded 4xx.
      if (cut.kind === 'response') assertCodedRefusal(cut);
      else assert.notEqual(cut.kind, 'timeout', 'the gateway held the half-closed connection open');
      await assertAllHealthy(stack);
      const after = await uploadAs(member, pdf(), 'after-the-cut.pdf');
      assert.equal(after.fileName, 'after-the-cut.pdf');
    });

    test('a map entry that maps a file to no path (the fuzz run found the gateway never answering it)', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const operations = JSON.stringify({ query: UPLOAD, variables: { file: null } });
      const body = Buffer.from(
        `--XX\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
          '--XX\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":[]}\r\n' +
          '--XX\r\nContent-Disposition: form-data; name="0"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 x\r\n--XX--\r\n',
      );
      assertCodedRefusal(await post(body, 'multipart/form-data; boundary=XX', { authorization: `Bearer ${member}` }));
      await assertAllHealthy(stack);
    });

    test('a multipart content type without a boundary', { timeout: CASE_TIMEOUT }, async () => {
      assertCodedRefusal(
        await post(multipartWith(Buffer.from('broken header line')), 'multipart/form-data', {
          authorization: `Bearer ${member}`,
        }),
      );
      await assertAllHealthy(stack);
    });

    test('malformed JSON', { timeout: CASE_TIMEOUT }, async () => {
      assertCodedRefusal(await post(Buffer.from('{"query": "{ __typename }", '), 'application/json'));
      assertCodedRefusal(
        await post(Buffer.from('{"query": "{ __typename }"'), 'application/json', {
          authorization: `Bearer ${member}`,
        }),
      );
      await assertAllHealthy(stack);
    });
  });

  describe('2. control characters and dot names in uploaded file names', () => {
    test("a filename*=UTF-8''a%00b.txt is cleaned to ab.txt or refused with a 4xx; media keeps running", {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const outcome = await post(
        uploadBody("filename*=UTF-8''a%00b.txt", Buffer.from('plain notes about coroutines\n'.repeat(20))),
        'multipart/form-data; boundary=XX',
        { authorization: `Bearer ${member}` },
      );
      assert.equal(outcome.kind, 'response', JSON.stringify(outcome));
      if (outcome.kind !== 'response') return;
      if (outcome.status >= 400) {
        assertCodedRefusal(outcome, ['BAD_USER_INPUT']);
      } else {
        const body = JSON.parse(outcome.body.toString('utf8')) as GraphQLResult<{ uploadFile: Media }>;
        if (body.errors) refused({ ...body, status: outcome.status, headers: new Headers() }, 'BAD_USER_INPUT');
        else assert.equal(body.data!.uploadFile.fileName, 'ab.txt');
      }
      await assertAllHealthy(stack);
    });

    test('an upload named .. is refused with BAD_USER_INPUT', { timeout: CASE_TIMEOUT }, async () => {
      refused(await upload(stack.gatewayUrl, UPLOAD, new Blob([pdf()]), '..', member), 'BAD_USER_INPUT');
      await assertAllHealthy(stack);
    });
  });

  describe('3. a private file opens only through the URL as handed out', () => {
    let url: URL;

    before(async () => {
      url = new URL((await uploadAs(member, pdf(), 'private.pdf')).url);
    });

    test('the signed URL downloads, with nosniff', { timeout: CASE_TIMEOUT }, async () => {
      assert.ok(url.searchParams.get('signature'), `no signature in ${url.href}`);
      assert.ok(url.searchParams.get('expires'), `no expires in ${url.href}`);
      const served = await fetch(url);
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
      assert.match(
        Buffer.from(await served.arrayBuffer())
          .subarray(0, 8)
          .toString('latin1'),
        /^%PDF-1\.7/,
      );
    });

    const tampered: [string, (u: URL) => void][] = [
      ['without its query string', (u) => (u.search = '')],
      [
        'with one character of the signature altered',
        (u) => {
          const signature = u.searchParams.get('signature') ?? '';
          const swapped = signature[5] === 'A' ? 'B' : 'A';
          u.searchParams.set('signature', signature.slice(0, 5) + swapped + signature.slice(6));
        },
      ],
      [
        'with expires moved one second later',
        (u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 1)),
      ],
      [
        'with expires moved into the past (expired)',
        (u) => u.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 3600)),
      ],
    ];
    for (const [what, change] of tampered) {
      test(`the URL ${what} answers 403`, { timeout: CASE_TIMEOUT }, async () => {
        const handedOut = await fetch(url);
        await handedOut.arrayBuffer();
        assert.equal(
          handedOut.status,
          200,
          `the URL as handed out does not work, so a refusal proves nothing: ${url.href}`,
        );
        const altered = new URL(url);
        change(altered);
        const served = await fetch(altered);
        const text = await served.text();
        assert.equal(served.status, 403, `${altered.href}: ${text.slice(0, 200)}`);
        assert.ok(!text.startsWith('%PDF'), 'the file itself came back');
      });
    }
  });

  describe('4. paid sections of a published course', () => {
    let courseId: string;
    let previewSection: string;
    let paidSection: string;
    type Section = { id: string; preview: boolean; locked: boolean; media: { id: string; url: string } | null };
    const sections = async (token: string | null) => {
      const read = ok(
        await gql<{ publishedCourse: { content: { teachplan: { children: Section[] }[] } } | null }>(
          'query($id: ID!) { publishedCourse(id: $id) { content { teachplan { children { id preview locked media { id url } } } } } }',
          { id: courseId },
          token,
        ),
      ).publishedCourse;
      assert.ok(read, 'publishedCourse is null');
      return new Map(read.content.teachplan.flatMap((c) => c.children).map((s) => [s.id, s]));
    };

    before(async () => {
      const cover = await uploadAs(member, png(), 'paid-cover.png');
      const free = await uploadAs(member, pdf(), 'free-lesson.pdf');
      const paid = await uploadAs(member, pdf(), 'paid-lesson.pdf');
      const course = await publishCourse(member, '付费课程', cover.id, [
        { name: '1.1 试看', preview: true, mediaId: free.id },
        { name: '1.2 付费', preview: false, mediaId: paid.id },
      ]);
      courseId = course.courseId;
      [previewSection, paidSection] = course.sectionIds;
    });

    test('anonymously, the preview section is open with a media URL and the paid one is locked with no media', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const read = await sections(null);
      assert.equal(read.get(previewSection)?.locked, false);
      assert.ok(read.get(previewSection)?.media?.url, JSON.stringify(read.get(previewSection)));
      assert.equal(read.get(paidSection)?.locked, true);
      assert.equal(read.get(paidSection)?.media, null);
    });

    test('the preview section URL is plain (no signature) and downloads without a token', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const url = (await sections(null)).get(previewSection)!.media!.url;
      assert.ok(!url.includes('signature='), url);
      const served = await fetch(url);
      assert.equal(served.status, 200, url);
      await served.arrayBuffer();
    });

    test('a token that bought the course gets the paid section with a signed URL that downloads', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const buyer = await signToken({ userId: 'dave', roles: [], entitledCourseIds: [courseId] }, TEST_JWT_SECRET);
      const paid = (await sections(buyer)).get(paidSection)!;
      assert.equal(paid.locked, false);
      assert.ok(paid.media, 'the buyer sees no media on the paid section');
      assert.match(paid.media.url, /signature=/);
      const served = await fetch(paid.media.url);
      assert.equal(served.status, 200, paid.media.url);
      assert.match(
        Buffer.from(await served.arrayBuffer())
          .subarray(0, 8)
          .toString('latin1'),
        /^%PDF/,
      );
      const otherCourse = await signToken(
        { userId: 'erin', roles: [], entitledCourseIds: ['another-course'] },
        TEST_JWT_SECRET,
      );
      assert.equal(
        (await sections(otherCourse)).get(paidSection)?.locked,
        true,
        'a token for another course opens this one',
      );
    });
  });

  describe('5. two organisations holding the same bytes each see their own name, tags and remark', () => {
    test("B's course shows B's file names; A's media shows A's; B's published course shows B's", {
      timeout: 120_000,
    }, async () => {
      const coverBytes = png();
      const lessonBytes = pdf();
      const aCover = await uploadAs(member, coverBytes, 'a-cover.png', { tags: 'a-tags', remark: 'a-remark' });
      const aLesson = await uploadAs(member, lessonBytes, 'a-lesson.pdf', { tags: 'a-tags', remark: 'a-remark' });
      const bCover = await uploadAs(memberB, coverBytes, 'b-cover.png', { tags: 'b-tags', remark: 'b-remark' });
      const bLesson = await uploadAs(memberB, lessonBytes, 'b-lesson.pdf', { tags: 'b-tags', remark: 'b-remark' });
      assert.equal(bCover.id, aCover.id, 'the same bytes have the same id');
      assert.deepEqual([bCover.fileName, bCover.tags, bCover.remark], ['b-cover.png', 'b-tags', 'b-remark']);
      assert.deepEqual([bLesson.fileName, bLesson.tags, bLesson.remark], ['b-lesson.pdf', 'b-tags', 'b-remark']);

      const { courseId } = await publishCourse(memberB, 'B 的课程', bCover.id, [
        { name: '1.1 讲义', preview: true, mediaId: bLesson.id },
      ]);
      const course = ok(
        await gql<{
          course: {
            cover: { fileName: string };
            teachplan: { children: { mediaFileName: string; media: { fileName: string; tags: string } }[] }[];
          };
        }>(
          'query($id: ID!) { course(id: $id) { cover { fileName } teachplan { children { mediaFileName media { fileName tags } } } } }',
          { id: courseId },
          memberB,
        ),
      ).course;
      assert.equal(course.cover.fileName, 'b-cover.png');
      assert.deepEqual(
        course.teachplan[0].children.map((s) => [s.mediaFileName, s.media.fileName, s.media.tags]),
        [['b-lesson.pdf', 'b-lesson.pdf', 'b-tags']],
      );

      const MEDIA = 'query($id: ID!) { media(id: $id) { fileName tags remark } }';
      assert.deepEqual(ok(await gql<{ media: unknown }>(MEDIA, { id: aCover.id }, member)).media, {
        fileName: 'a-cover.png',
        tags: 'a-tags',
        remark: 'a-remark',
      });
      assert.deepEqual(ok(await gql<{ media: unknown }>(MEDIA, { id: aLesson.id }, member)).media, {
        fileName: 'a-lesson.pdf',
        tags: 'a-tags',
        remark: 'a-remark',
      });
      assert.deepEqual(ok(await gql<{ media: unknown }>(MEDIA, { id: bLesson.id }, memberB)).media, {
        fileName: 'b-lesson.pdf',
        tags: 'b-tags',
        remark: 'b-remark',
      });

      const published = ok(
        await gql<{
          publishedCourse: {
            content: {
              cover: { fileName: string };
              teachplan: { children: { mediaFileName: string; media: { fileName: string } | null }[] }[];
            };
          };
        }>(
          'query($id: ID!) { publishedCourse(id: $id) { content { cover { fileName } teachplan { children { mediaFileName media { fileName } } } } } }',
          { id: courseId },
          null,
        ),
      ).publishedCourse.content;
      assert.equal(published.cover.fileName, 'b-cover.png');
      assert.deepEqual(
        published.teachplan[0].children.map((s) => [s.mediaFileName, s.media?.fileName]),
        [['b-lesson.pdf', 'b-lesson.pdf']],
      );
    });
  });

  describe('6. media bound in a published course cannot be deleted', () => {
    test('deleteMedia answers CONFLICT naming the course; the page and the file still work', {
      timeout: 120_000,
    }, async () => {
      const cover = await uploadAs(member, png(), 'kept-cover.png');
      const lesson = await uploadAs(member, pdf(), 'kept-lesson.pdf');
      const NAME = '不可删除的课程';
      const { courseId, pageUrl } = await publishCourse(member, NAME, cover.id, [
        { name: '1.1 讲义', preview: true, mediaId: lesson.id },
      ]);

      const error = refused(await gql('mutation($id: ID!) { deleteMedia(id: $id) }', { id: lesson.id }), 'CONFLICT');
      assert.ok(
        error.message.includes(NAME) || error.message.includes(courseId),
        `the refusal does not name the course: ${error.message}`,
      );

      const read = ok(
        await gql<{
          publishedCourse: { content: { teachplan: { children: { media: { url: string } | null }[] }[] } } | null;
        }>(
          'query($id: ID!) { publishedCourse(id: $id) { content { teachplan { children { media { url } } } } } }',
          { id: courseId },
          null,
        ),
      ).publishedCourse;
      assert.ok(read, 'the published course is gone');
      const url = read.content.teachplan[0].children[0].media?.url;
      assert.ok(url, 'the section lost its media');
      assert.equal((await fetch(url)).status, 200, url);
      await waitUntil('the published page to be served', async () => (await fetch(pageUrl)).status === 200, 30_000);
      assert.ok(
        ok(await gql<{ media: { id: string } | null }>('query($id: ID!) { media(id: $id) { id } }', { id: lesson.id }))
          .media,
        'the library entry went',
      );
    });
  });

  describe('7. client mistakes are BAD_USER_INPUT, never INTERNAL', () => {
    const CREATE = 'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }';
    const courseInput = (name: string) => ({
      name,
      audience: '开发者',
      mt: '1-3',
      st: '1-3-1',
      grade: 'BEGINNER',
      teachingMode: 'RECORDED',
      charge: 'FREE',
    });
    const noSql = (message: string) =>
      assert.doesNotMatch(
        message,
        /\bSQL|sqlite|postgres|mysql|insert into|select .* from|constraint|\bquery failed/i,
        message,
      );

    test('a NUL in a course name names the field, without SQL in the message', { timeout: CASE_TIMEOUT }, async () => {
      const error = refused(await gql(CREATE, { input: courseInput('a\u0000b') }), 'BAD_USER_INPUT');
      const fields = (error.extensions?.fields as { field: string }[] | undefined)?.map((f) => f.field) ?? [];
      assert.ok(
        fields.includes('name') || /\bname\b/.test(error.message),
        `the field is not named: ${JSON.stringify(error)}`,
      );
      noSql(error.message);
    });

    test('a lone surrogate in a course name', { timeout: CASE_TIMEOUT }, async () => {
      noSql(refused(await gql(CREATE, { input: courseInput('Kotlin \ud800 入门') }), 'BAD_USER_INPUT').message);
    });

    test('a bad date in a media filter', { timeout: CASE_TIMEOUT }, async () => {
      refused(await gql('{ mediaFiles(filter: { createdFrom: "yesterday" }) { total } }'), 'BAD_USER_INPUT');
      refused(
        await gql('query($f: MediaFilter) { mediaFiles(filter: $f) { total } }', { f: { createdFrom: 'yesterday' } }),
        'BAD_USER_INPUT',
      );
    });

    test('a name filter longer than any stored name (the fuzz run found 70 KB ones answered INTERNAL)', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const long = 'C:\\con'.repeat(10_000);
      const media = refused(
        await gql('query($f: MediaFilter) { mediaFiles(filter: $f) { total } }', { f: { name: long } }),
        'BAD_USER_INPUT',
      );
      assert.match(
        media.message,
        /filter\.name is longer than any stored value can be: search with at most 255 characters/,
      );
      const courses = refused(
        await gql('query($f: CourseFilter) { courses(filter: $f) { total } }', { f: { name: long } }),
        'BAD_USER_INPUT',
      );
      assert.match(courses.message, /at most 100 characters/);
    });

    test('a page size of 1e30', { timeout: CASE_TIMEOUT }, async () => {
      refused(await gql('{ mediaFiles(page: { size: 1e30 }) { total } }'), 'BAD_USER_INPUT');
      refused(
        await gql('query($p: PageInput) { mediaFiles(page: $p) { total } }', { p: { size: 1e30 } }),
        'BAD_USER_INPUT',
      );
    });

    test('several operations without an operationName: a 4xx BAD_USER_INPUT', { timeout: CASE_TIMEOUT }, async () => {
      const result = await gql('query A { courseCategories { id } } query B { courseCategories { name } }');
      refused(result, 'BAD_USER_INPUT');
      assert.ok(result.status >= 400 && result.status < 500, `status ${result.status}`);
    });

    test('an unknown operationName', { timeout: CASE_TIMEOUT }, async () => {
      const response = await fetch(`${stack.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
        body: JSON.stringify({ query: 'query A { courseCategories { id } }', operationName: 'Nope' }),
      });
      const body = (await response.json()) as GraphQLResult<unknown>;
      refused({ ...body, status: response.status, headers: response.headers }, 'BAD_USER_INPUT');
    });

    test('a subscription', { timeout: CASE_TIMEOUT }, async () => {
      refused(await gql('subscription { courseCategories { id } }'), 'BAD_USER_INPUT');
    });
  });

  describe('8. per-organisation upload quotas', () => {
    const CHECK = 'mutation($input: CheckFileInput!) { checkFile(input: $input) { exists upload { state } } }';
    const fakeMd5 = () => randomBytes(16).toString('hex');

    test('a sixth open upload session of one organisation is refused (UPLOAD_QUOTA_SESSIONS=5)', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const quota = await stack.token('quinn', ['member'], 'org-quota-sessions');
      for (let i = 0; i < 5; i++) {
        const opened = ok(
          await gql<{ checkFile: { exists: boolean; upload: { state: string } } }>(
            CHECK,
            { input: { fileMd5: fakeMd5(), fileName: `lesson-${i}.mp4`, fileSize: String(50 * 1024 * 1024 + i) } },
            quota,
          ),
        );
        assert.equal(opened.checkFile.exists, false);
      }
      const error = refused(
        await gql(
          CHECK,
          { input: { fileMd5: fakeMd5(), fileName: 'lesson-6.mp4', fileSize: String(60 * 1024 * 1024) } },
          quota,
        ),
        'CONFLICT',
      );
      assert.equal(error.extensions?.reason, 'UPLOAD_QUOTA_SESSIONS', JSON.stringify(error));
      // Another organisation is not held back by it.
      ok(
        await gql(
          CHECK,
          { input: { fileMd5: fakeMd5(), fileName: 'other.mp4', fileSize: String(50 * 1024 * 1024) } },
          await stack.token('rita', ['member'], 'org-quota-other'),
        ),
      );
    });

    test('declared bytes beyond UPLOAD_QUOTA_BYTES (1 GiB) are refused', { timeout: CASE_TIMEOUT }, async () => {
      const quota = await stack.token('sam', ['member'], 'org-quota-bytes');
      ok(
        await gql(
          CHECK,
          { input: { fileMd5: fakeMd5(), fileName: 'big-1.mp4', fileSize: String(600 * 1024 * 1024) } },
          quota,
        ),
      );
      const error = refused(
        await gql(
          CHECK,
          { input: { fileMd5: fakeMd5(), fileName: 'big-2.mp4', fileSize: String(600 * 1024 * 1024) } },
          quota,
        ),
        'CONFLICT',
      );
      assert.equal(error.extensions?.reason, 'UPLOAD_QUOTA_BYTES', JSON.stringify(error));
    });
  });

  describe('9. security headers on files and pages', () => {
    test('/files answers carry nosniff, found or not', { timeout: CASE_TIMEOUT }, async () => {
      const media = await uploadAs(member, png(), 'sniffable.png');
      const served = await fetch(media.url);
      assert.equal(served.status, 200);
      await served.arrayBuffer();
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
      const missing = await fetch(`${stack.gatewayUrl}/files/mediafiles/2020/01/01/${'0'.repeat(32)}.png`);
      await missing.arrayBuffer();
      assert.ok(missing.status >= 400 && missing.status < 500, `status ${missing.status}`);
      assert.equal(missing.headers.get('x-content-type-options'), 'nosniff');
    });

    test('a published course page forbids framing and allows no script', { timeout: 120_000 }, async () => {
      const cover = await uploadAs(member, png(), 'page-cover.png');
      const lesson = await uploadAs(member, pdf(), 'page-lesson.pdf');
      const { pageUrl } = await publishCourse(member, '页面头部', cover.id, [
        { name: '1.1', preview: true, mediaId: lesson.id },
      ]);
      const page = await waitUntil(
        'the page to be served',
        async () => {
          const response = await fetch(pageUrl);
          await response.arrayBuffer();
          return response.status === 200 && response;
        },
        30_000,
      );
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, `content-security-policy: ${csp}`);
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...values]) => [name.toLowerCase(), values.join(' ')]),
      );
      const scripts = directives.get('script-src') ?? directives.get('default-src');
      assert.equal(scripts, "'none'", `scripts are allowed by content-security-policy: ${csp}`);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    });
  });

  describe('10. CORS when CORS_ORIGINS lists an origin (test mode)', () => {
    const preflight = (origin: string) =>
      fetch(`${stack.gatewayUrl}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });

    test('the listed origin passes the preflight; http://evil.example and the dev origin do not', {
      timeout: CASE_TIMEOUT,
    }, async () => {
      const allowed = await preflight('https://app.example.com');
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/i);
      for (const origin of ['http://evil.example', 'http://localhost:5173']) {
        const denied = await preflight(origin);
        await denied.arrayBuffer();
        assert.equal(denied.headers.get('access-control-allow-origin'), null, `${origin} was allowed`);
      }
    });

    test('the actual POST carries the origin and exposes x-request-id', { timeout: CASE_TIMEOUT }, async () => {
      const result = await graphql(stack.gatewayUrl, '{ courseCategories { id } }', {}, member, {
        origin: 'https://app.example.com',
      });
      assert.equal(result.status, 200);
      assert.equal(result.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.match(result.headers.get('access-control-expose-headers') ?? '', /x-request-id/i);
      const evil = await graphql(stack.gatewayUrl, '{ courseCategories { id } }', {}, member, {
        origin: 'http://evil.example',
      });
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
    });
  });
});

describe('9. operations endpoints in production need the operations token', { timeout: 120_000 }, () => {
  let stack: PlatformStack;
  before(async () => {
    stack = await PlatformStack.start({ NODE_ENV: 'production', OPS_TOKEN: 'some-token' });
  });
  after(() => stack?.stop());

  test('/metrics and /ready answer 404 without the token (or with a wrong one) and 200 with it; /health stays open', {
    timeout: CASE_TIMEOUT,
  }, async () => {
    for (const path of ['/metrics', '/ready']) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: 'some-token' }] as Record<
        string,
        string
      >[]) {
        const refusedAnswer = await fetch(`${stack.gatewayUrl}${path}`, { headers });
        await refusedAnswer.arrayBuffer();
        assert.equal(refusedAnswer.status, 404, `${path} with ${JSON.stringify(headers)}`);
      }
      const allowed = await fetch(`${stack.gatewayUrl}${path}`, { headers: { authorization: 'Bearer some-token' } });
      const text = await allowed.text();
      assert.equal(allowed.status, 200, `${path}: ${text.slice(0, 200)}`);
      if (path === '/metrics') assert.match(text, /http_request_duration_seconds/);
    }
    assert.equal((await fetch(`${stack.gatewayUrl}/health`)).status, 200);
  });
});

describe('10. CORS in development allows the local front end', { timeout: 120_000 }, () => {
  let stack: PlatformStack;
  before(async () => {
    stack = await PlatformStack.start({ NODE_ENV: 'development' });
  });
  after(() => stack?.stop());

  test('a preflight from http://localhost:5173 answers 204 allowing that origin', {
    timeout: CASE_TIMEOUT,
  }, async () => {
    const answer = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    await answer.arrayBuffer();
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.match(answer.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(answer.headers.get('access-control-allow-headers') ?? '', /authorization/i);
  });
});
