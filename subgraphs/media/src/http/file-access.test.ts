import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signToken } from '@learnhub/platform/auth';
import { readConfig, type Config } from '@learnhub/platform/config';
import type { RunningSubgraph } from '@learnhub/platform/graphql';
import { createLogger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { FileUrlSigner } from '@learnhub/platform/object-store';
import { startMedia } from '../server';
import { startContentUsageStandIn } from '../testing/content-usage-stand-in';

/*
 * Who may open stored files, as browsers and the other services meet it: the media subgraph over
 * HTTP on a free port (its own SQLite database and local object store), and a tiny HTTP server
 * standing in for the content service, which is another process.
 */

const SECRET = 'a-media-file-access-secret-of-32-chars+';
const GATEWAY_SECRET = 'the-gateway-secret-for-file-access-tests';
const REFUSED = 'This file link is missing its signature, was altered or has expired: ask the API for a fresh URL.';
/** A complete 1×1 PNG. */
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const pdf = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n% draft notes\n',
  'latin1',
);
const page = Buffer.from('<!doctype html><title>Course 7</title><style>h1{color:red}</style><h1>Course 7</h1>');

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

interface MediaItem {
  id: string;
  fileName: string;
  tags: string | null;
  remark: string | null;
  organisationId: string;
  url: string;
}

describe('file access and tenant isolation through the media subgraph over HTTP', () => {
  let dataDir: string;
  let media: RunningSubgraph;
  let config: Config;
  let origin: string;
  let store: LocalObjectStore;
  let content: Awaited<ReturnType<typeof startContentUsageStandIn>>;
  let image: MediaItem;
  let draft: MediaItem;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lh-media-file-access-'));
    content = await startContentUsageStandIn();
    config = readConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: SECRET,
      GATEWAY_SECRET,
      CONTENT_URL: content.contentUrl,
    });
    media = await startMedia(config, createLogger('media-test', 'silent'), 0);
    origin = `http://127.0.0.1:${media.port}`;
    assert.equal(config.objectStore.kind, 'local');
    store = new LocalObjectStore({
      root: (config.objectStore as { root: string }).root,
      publicUrl: 'http://unused.test/files',
    });
    await store.put('course-pages', 'courses/7/index.html', page, { contentType: 'text/html' });
    image = await upload('org-a', 'cover.png', png, { tags: 'cover', remark: 'A' });
    draft = await upload('org-a', 'draft.pdf', pdf, {});
  });
  after(async () => {
    await media?.stop();
    await content?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const token = (organisationId: string) =>
    signToken({ userId: `${organisationId}-user`, roles: ['member'], organisationId }, SECRET);

  async function graphql(organisationId: string, query: string, variables: object = {}): Promise<Answer> {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gateway-secret': GATEWAY_SECRET,
        authorization: `Bearer ${await token(organisationId)}`,
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(10_000),
    });
    return (await response.json()) as Answer;
  }

  async function upload(
    organisationId: string,
    fileName: string,
    bytes: Buffer,
    input: { tags?: string; remark?: string },
  ): Promise<MediaItem> {
    const form = new FormData();
    const query =
      'mutation ($file: Upload!, $input: UploadFileInput) { uploadFile(file: $file, input: $input) { id fileName tags remark organisationId url } }';
    form.append('operations', JSON.stringify({ query, variables: { file: null, input } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([bytes]), fileName);
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: {
        'x-gateway-secret': GATEWAY_SECRET,
        'apollo-require-preflight': 'true',
        authorization: `Bearer ${await token(organisationId)}`,
      },
      body: form,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await response.json()) as Answer;
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    return answer.data!.uploadFile as MediaItem;
  }

  /** Opens a URL the API handed out (or one built from it) on media's own origin, as the gateway's /files proxy does. */
  function open(
    url: string | URL,
    init: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const handed = new URL(url);
    return fetch(`${origin}${handed.pathname}${handed.search}`, {
      method: init.method,
      headers: { 'x-gateway-secret': GATEWAY_SECRET, ...init.headers },
      signal: AbortSignal.timeout(10_000),
    });
  }
  const bare = (url: string) => {
    const plain = new URL(url);
    plain.search = '';
    return plain;
  };

  function publish(courseId: string, body: unknown, secret: string | undefined = GATEWAY_SECRET): Promise<Response> {
    return fetch(`${origin}/publications/courses/${courseId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-gateway-secret': secret } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }
  const coursePage = { bucket: 'course-pages', key: 'courses/7/index.html' };

  async function assertRefused(response: Response, what: string): Promise<void> {
    assert.equal(response.status, 403, what);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, what);
    assert.deepEqual(await response.json(), { error: REFUSED }, what);
  }

  test('an unpublished file opens only through the signed URL the API hands out, with a private cache lifetime', async () => {
    const url = new URL(image.url);
    assert.ok(url.searchParams.get('expires') && url.searchParams.get('signature'), `not signed: ${image.url}`);
    const response = await open(url);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), png);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(response.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge > 0 && maxAge <= config.files.urlTtlSeconds, response.headers.get('cache-control') ?? '');

    await assertRefused(await open(bare(image.url)), 'the bare URL');
    await assertRefused(await open(bare(draft.url)), 'the bare URL of a draft document');
  });

  test('an altered or expired signed URL is refused, and so is a missing object without a signature', async () => {
    const url = new URL(image.url);
    const otherKey = new URL(draft.url);
    otherKey.search = url.search;
    const laterExpiry = new URL(url);
    laterExpiry.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 86_400));
    const badSignature = new URL(url);
    const signature = url.searchParams.get('signature')!;
    badSignature.searchParams.set('signature', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`);
    const malformed = new URL(url);
    malformed.searchParams.set('expires', 'tomorrow');
    const key = decodeURIComponent(url.pathname.replace(/^\/files\/mediafiles\//, ''));
    const expired = new FileUrlSigner(config.files.urlSecret).signUrl(
      bare(image.url).href,
      'mediafiles',
      key,
      60,
      Date.now() - 3_600_000,
    );
    const forged = new FileUrlSigner('some-other-secret-someone-guessed-at-32').signUrl(
      bare(image.url).href,
      'mediafiles',
      key,
      600,
    );
    for (const [what, refused] of Object.entries({ otherKey, laterExpiry, badSignature, malformed, expired, forged })) {
      await assertRefused(await open(refused), what);
    }
    await assertRefused(await open(`${origin}/files/mediafiles/2020/01/01/${'0'.repeat(32)}.png`), 'a missing object');
  });

  test('HEAD answers like GET without a body, and ranges work with signed URLs', async () => {
    const head = await open(image.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(png.length));
    assert.equal(head.headers.get('content-type'), 'image/png');
    assert.equal(head.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    assert.equal((await open(bare(image.url), { method: 'HEAD' })).status, 403);

    const range = await open(image.url, { headers: { range: 'bytes=1-3' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), `bytes 1-3/${png.length}`);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), png.subarray(1, 4));
    const rangeHead = await open(image.url, { method: 'HEAD', headers: { range: 'bytes=1-3' } });
    assert.equal(rangeHead.status, 206);
    assert.equal(rangeHead.headers.get('content-length'), '3');

    for (const method of ['GET', 'HEAD']) {
      const impossible = await open(`${origin}/files/course/%00.html`, { method });
      assert.equal(impossible.status, 400, `${method} of a key with a NUL`);
      assert.equal(impossible.headers.get('x-content-type-options'), 'nosniff');
    }

    const pastTheEnd = await open(image.url, { headers: { range: `bytes=${png.length}-` } });
    assert.equal(pastTheEnd.status, 416);
    assert.equal(pastTheEnd.headers.get('content-range'), `bytes */${png.length}`);
    assert.match(pastTheEnd.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await pastTheEnd.json(), {
      error: `The range starts past the end of the file (${png.length} bytes): ask for bytes 0 to ${png.length - 1}.`,
    });
  });

  test('the publication route wants the gateway secret and names every bad field', async () => {
    const valid = { version: 1, organisationId: 'org-a', page: coursePage, publicMediaIds: [] };
    assert.equal((await publish('7', valid, '')).status, 403);
    assert.equal((await publish('7', valid, 'wrong-secret')).status, 403);

    const bad = await publish('7', {
      version: 0,
      organisationId: '',
      page: { bucket: 'UP', key: '../x' },
      publicMediaIds: [image.id, 'nope'],
    });
    assert.equal(bad.status, 400);
    const answer = (await bad.json()) as { error: string; fields: { field: string }[] };
    assert.deepEqual(
      answer.fields.map((f) => f.field),
      ['version', 'organisationId', 'page.bucket', 'page.key', 'publicMediaIds[1]'],
    );
    const tooMany = await publish('7', {
      ...valid,
      version: 1.5,
      publicMediaIds: Array.from({ length: 1001 }, () => image.id),
    });
    assert.deepEqual(
      ((await tooMany.json()) as { fields: { field: string }[] }).fields.map((f) => f.field),
      ['version', 'publicMediaIds'],
    );
    const notJson = await fetch(`${origin}/publications/courses/7`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-gateway-secret': GATEWAY_SECRET },
      body: '{"version":',
    });
    assert.equal(notJson.status, 400);
    assert.equal((await publish('7', 'a string')).status, 400);
    assert.equal((await publish('bad id!', valid)).status, 400);
    await assertRefused(await open(`http://x/files/${coursePage.bucket}/${coursePage.key}`), 'nothing was recorded');
  });

  test('publishing makes the page and the course media public; taking it offline closes the media, not the page; newest version wins', async () => {
    const applied = await publish('7', {
      version: 2,
      organisationId: 'org-a',
      page: coursePage,
      publicMediaIds: [image.id],
    });
    assert.equal(applied.status, 200);
    assert.deepEqual(await applied.json(), { outcome: 'applied' });

    const publicImage = await open(bare(image.url));
    assert.equal(publicImage.status, 200);
    assert.equal(publicImage.headers.get('cache-control'), 'public, max-age=3600');
    assert.deepEqual(Buffer.from(await publicImage.arrayBuffer()), png);
    await assertRefused(await open(bare(draft.url)), 'media the course does not show');
    const listed = await graphql('org-a', '{ mediaFiles { items { id url } } }');
    const urls = new Map(
      (listed.data!.mediaFiles as { items: { id: string; url: string }[] }).items.map((m) => [m.id, m.url]),
    );
    assert.equal(urls.get(image.id), bare(image.url).href, 'a public item gets its plain URL');
    assert.ok(new URL(urls.get(draft.id)!).searchParams.get('signature'), 'a private item keeps a signed URL');

    const html = await open(`http://x/files/${coursePage.bucket}/${coursePage.key}`);
    assert.equal(html.status, 200);
    assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(html.headers.get('cache-control'), 'public, max-age=3600');
    assert.equal(html.headers.get('x-frame-options'), 'DENY');
    assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
    const csp = html.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /script-src/, 'no script may ever run in a stored page');
    assert.equal(publicImage.headers.get('content-security-policy'), null, 'only HTML gets the page policy');

    assert.deepEqual(
      await (await publish('7', { version: 1, organisationId: 'org-a', page: coursePage, publicMediaIds: [] })).json(),
      { outcome: 'stale' },
    );
    assert.deepEqual(
      await (await publish('7', { version: 2, organisationId: 'org-a', page: coursePage, publicMediaIds: [] })).json(),
      { outcome: 'stale' },
    );
    assert.equal((await open(bare(image.url))).status, 200, 'a stale report changed nothing');

    assert.deepEqual(
      await (await publish('7', { version: 3, organisationId: 'org-a', page: coursePage, publicMediaIds: [] })).json(),
      { outcome: 'applied' },
    );
    await assertRefused(await open(bare(image.url)), 'media of a course taken offline');
    assert.equal(
      (await open(`http://x/files/${coursePage.bucket}/${coursePage.key}`)).status,
      200,
      'the offline page stays public',
    );
    assert.equal((await open(image.url)).status, 200, 'signed URLs still open it');
  });

  test('two organisations holding the same bytes each see only their own entry, also through references', async () => {
    const shared = Buffer.concat([pdf, Buffer.from('% shared between two organisations\n')]);
    const mine = await upload('org-a', 'ours-a.pdf', shared, { tags: 'a-tag', remark: 'A remark' });
    const theirs = await upload('org-b', 'ours-b.pdf', shared, { tags: 'b-tag', remark: 'B remark' });
    assert.equal(theirs.id, mine.id);
    const fields = 'id fileName tags remark organisationId';
    for (const [organisationId, expected] of [
      ['org-a', { fileName: 'ours-a.pdf', tags: 'a-tag', remark: 'A remark' }],
      ['org-b', { fileName: 'ours-b.pdf', tags: 'b-tag', remark: 'B remark' }],
    ] as const) {
      const one = await graphql(organisationId, `query ($id: ID!) { media(id: $id) { ${fields} } }`, { id: mine.id });
      assert.deepEqual(one.data?.media, { id: mine.id, organisationId, ...expected });
      const all = await graphql(organisationId, `{ mediaFiles { items { ${fields} } } }`);
      const found = (all.data!.mediaFiles as { items: { id: string }[] }).items.filter((m) => m.id === mine.id);
      assert.deepEqual(found, [{ id: mine.id, organisationId, ...expected }]);
    }

    const representations = [
      { __typename: 'Media', id: mine.id, organisationId: 'org-b' },
      { __typename: 'Media', id: mine.id, organisationId: 'org-a' },
      { __typename: 'Media', id: mine.id, organisationId: 'org-c' },
      { __typename: 'Media', id: mine.id },
    ];
    const entities = await graphql(
      'org-a',
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Media { ${fields} } } }`,
      { representations },
    );
    assert.equal(entities.errors, undefined, JSON.stringify(entities.errors));
    assert.deepEqual(entities.data?._entities, [
      { id: mine.id, organisationId: 'org-b', fileName: 'ours-b.pdf', tags: 'b-tag', remark: 'B remark' },
      { id: mine.id, organisationId: 'org-a', fileName: 'ours-a.pdf', tags: 'a-tag', remark: 'A remark' },
      null,
      // Without an organisation: the earliest entry, as before.
      { id: mine.id, organisationId: 'org-a', fileName: 'ours-a.pdf', tags: 'a-tag', remark: 'A remark' },
    ]);
  });

  test('deleting media a course uses is refused naming the courses; an unanswered check deletes nothing', async () => {
    content.uses.set(`${image.id} org-a`, [
      { id: '7', name: 'Intro to Go', state: 'PUBLISHED' },
      { id: '9', name: 'Go, the sequel', state: 'SUBMITTED' },
    ]);
    const before = content.requests.length;
    const refused = await graphql('org-a', 'mutation ($id: ID!) { deleteMedia(id: $id) }', { id: image.id });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'CONFLICT');
    assert.equal(refused.errors?.[0]?.extensions?.reason, 'MEDIA_IN_USE');
    assert.deepEqual(refused.errors?.[0]?.extensions?.courses, [
      { id: '7', name: 'Intro to Go', state: 'PUBLISHED' },
      { id: '9', name: 'Go, the sequel', state: 'SUBMITTED' },
    ]);
    assert.match(refused.errors![0].message, /"Intro to Go" \(7, PUBLISHED\).*"Go, the sequel" \(9, SUBMITTED\)/);
    assert.deepEqual(content.requests.slice(before), [
      { url: `/media-usage/${image.id}?organisationId=org-a`, secret: GATEWAY_SECRET },
    ]);
    assert.equal((await open(image.url)).status, 200, 'the bytes are still there');

    content.down.value = true;
    try {
      const unanswered = await graphql('org-a', 'mutation ($id: ID!) { deleteMedia(id: $id) }', { id: draft.id });
      assert.equal(unanswered.errors?.[0]?.extensions?.code, 'INTERNAL');
      assert.match(unanswered.errors![0].message, /could not check whether the media is in use; try again/i);
      assert.equal((await open(draft.url)).status, 200, 'nothing was deleted');
    } finally {
      content.down.value = false;
    }
    assert.deepEqual((await graphql('org-a', 'mutation ($id: ID!) { deleteMedia(id: $id) }', { id: draft.id })).data, {
      deleteMedia: true,
    });
    assert.equal((await open(draft.url)).status, 404, 'an unused item is deleted');
  });
});
