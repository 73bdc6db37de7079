import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { graphql, PlatformStack, upload } from './platform-stack';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

// A real PNG header followed by noise: the media service sniffs the type from these bytes.
const png = (size: number) =>
  Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(size - 16)]);
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

const MEDIA_FIELDS = 'id fileMd5 fileName type typeCode mimeType size url organisationId auditStatus';
const UPLOAD = `mutation Upload($file: Upload!, $input: UploadFileInput) { uploadFile(file: $file, input: $input) { ${MEDIA_FIELDS} } }`;

interface Media {
  id: string;
  fileMd5: string;
  fileName: string;
  type: string;
  typeCode: string;
  mimeType: string;
  size: string;
  url: string;
  organisationId: string;
}

describe('the platform through the gateway, as real processes', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let member: string;
  let otherOrgMember: string;
  let admin: string;

  before(async () => {
    stack = await PlatformStack.start();
    member = await stack.token('alice', ['member'], '1232141425');
    otherOrgMember = await stack.token('bob', ['member'], '999');
    admin = await stack.token('root', ['admin']);
  });
  after(() => stack.stop());

  test('anyone reads the category tree: majors with minors, in order', async () => {
    const result = await graphql<{
      courseCategories: {
        id: string;
        name: string;
        order: number;
        leaf: boolean;
        children: { id: string; leaf: boolean }[];
      }[];
    }>(stack.gatewayUrl, '{ courseCategories { id name order leaf children { id name order leaf } } }');
    assert.equal(result.errors, undefined);
    const majors = result.data!.courseCategories;
    assert.equal(majors.length, 12);
    assert.deepEqual(
      majors.map((m) => m.order),
      [...Array(12).keys()].map((i) => i + 1),
    );
    assert.equal(majors[0].name, '前端开发');
    assert.ok(
      majors.every(
        (m) => !m.leaf && m.children.length >= 4 && m.children.every((c) => c.leaf && c.id.startsWith(`${m.id}-`)),
      ),
    );
    assert.match(result.headers.get('x-request-id') ?? '', /.+/);
  });

  test('mediaFiles needs a token, and a member sees an empty page of their organisation', async () => {
    const anonymous = await graphql(stack.gatewayUrl, '{ mediaFiles { total items { id } } }');
    assert.equal(anonymous.errors?.[0].extensions?.code, 'UNAUTHENTICATED');

    const fresh = await stack.token('carol', ['member'], 'empty-org');
    const page = await graphql<{ mediaFiles: { total: number; items: unknown[]; page: number; hasNext: boolean } }>(
      stack.gatewayUrl,
      '{ mediaFiles { total page hasNext items { id } } }',
      {},
      fresh,
    );
    assert.equal(page.errors, undefined);
    assert.deepEqual(page.data!.mediaFiles, { total: 0, page: 1, hasNext: false, items: [] });
  });

  test('a bad token is refused at the gateway with UNAUTHENTICATED', async () => {
    const forged = await graphql(stack.gatewayUrl, '{ courseCategories { id } }', {}, `${member.slice(0, -4)}AAAA`);
    assert.equal(forged.status, 401);
    assert.equal(forged.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });

  test('a several-MiB upload streams through the gateway and lands in the media library', async () => {
    const bytes = pdf(6 * 1024 * 1024 + 123);
    const result = await upload<{ uploadFile: Media }>(
      stack.gatewayUrl,
      UPLOAD,
      new Blob([bytes]),
      '第一章 讲义.pdf',
      member,
      { input: { tags: '讲义', remark: 'chapter 1' } },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const media = result.data!.uploadFile;
    assert.equal(media.id, md5(bytes));
    assert.equal(media.fileName, '第一章 讲义.pdf');
    assert.equal(media.type, 'DOCUMENT');
    assert.equal(media.typeCode, '001003');
    assert.equal(media.mimeType, 'application/pdf');
    assert.equal(Number(media.size), bytes.length);
    assert.equal(media.organisationId, '1232141425');

    const served = await fetch(media.url);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'application/pdf');
    assert.equal(md5(Buffer.from(await served.arrayBuffer())), media.id);
    assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
    assert.match(served.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);
    // The same link without its signature opens nothing: the document is unpublished.
    const unsigned = new URL(media.url);
    unsigned.search = '';
    const refused = await fetch(unsigned);
    assert.equal(refused.status, 403);
    assert.match(
      ((await refused.json()) as { error: string }).error,
      /missing its signature, was altered or has expired/,
    );

    const again = await upload<{ uploadFile: Media }>(stack.gatewayUrl, UPLOAD, new Blob([bytes]), 'copy.pdf', member);
    assert.equal(again.data!.uploadFile.fileName, '第一章 讲义.pdf', 'the same bytes return the existing entry');

    const list = await graphql<{ mediaFiles: { total: number; items: { id: string }[] } }>(
      stack.gatewayUrl,
      '{ mediaFiles(filter: { name: "讲义" }) { total items { id } } }',
      {},
      member,
    );
    assert.deepEqual(list.data!.mediaFiles, { total: 1, items: [{ id: media.id }] });

    const ranged = await fetch(media.url, { headers: { range: 'bytes=100-199' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 100-199/${bytes.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(100, 200));
  });

  test("organisations never see each other's media", async () => {
    const bytes = pdf(4096);
    const mine = (
      await upload<{ uploadFile: Media }>(stack.gatewayUrl, UPLOAD, new Blob([bytes]), 'private.pdf', member)
    ).data!.uploadFile;
    const theirs = await graphql<{ media: Media | null }>(
      stack.gatewayUrl,
      'query($id: ID!) { media(id: $id) { id } }',
      { id: mine.id },
      otherOrgMember,
    );
    assert.equal(theirs.errors, undefined);
    assert.equal(theirs.data!.media, null);
    const theirList = await graphql<{ mediaFiles: { total: number } }>(
      stack.gatewayUrl,
      '{ mediaFiles { total } }',
      {},
      otherOrgMember,
    );
    assert.equal(theirList.data!.mediaFiles.total, 0);
    const asAdmin = await graphql<{ media: Media | null }>(
      stack.gatewayUrl,
      'query($id: ID!) { media(id: $id) { id organisationId } }',
      { id: mine.id },
      admin,
    );
    assert.equal(asAdmin.data!.media?.organisationId, '1232141425');
  });

  test('bad uploads get clear errors: a video, unknown bytes, a path in the name', async () => {
    const avi = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('AVI LIST'), randomBytes(2000)]);
    const video = await upload(stack.gatewayUrl, UPLOAD, new Blob([avi]), 'lesson.avi', member);
    assert.equal(video.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.equal(video.errors?.[0].extensions?.reason, 'USE_CHUNKED_UPLOAD');

    const unknown = await upload(
      stack.gatewayUrl,
      UPLOAD,
      new Blob([Buffer.from([0, 1, 2, 3, 0, 255, 254, 0])]),
      'x.bin',
      member,
    );
    assert.equal(unknown.errors?.[0].extensions?.reason, 'UNSUPPORTED_FILE_TYPE');

    const sneaky = await upload<{ uploadFile: Media }>(
      stack.gatewayUrl,
      UPLOAD,
      new Blob([pdf(1000)]),
      '../../etc/passwd.pdf',
      member,
    );
    assert.equal(sneaky.errors, undefined);
    assert.equal(sneaky.data!.uploadFile.fileName, 'passwd.pdf');
  });

  test('federation: a category icon is a Media reference resolved by the media subgraph', async () => {
    const image = png(20_000);
    // Large enough that the refusal must not wait for (or stall on) the unread rest of the file.
    const byAdmin = await upload(stack.gatewayUrl, UPLOAD, new Blob([png(12 * 1024 * 1024)]), 'frontend.png', admin);
    assert.equal(
      byAdmin.errors?.[0].extensions?.code,
      'FORBIDDEN',
      'admins belong to no organisation, so have no library to upload into',
    );

    const uploaded = (
      await upload<{ uploadFile: Media }>(stack.gatewayUrl, UPLOAD, new Blob([image]), 'frontend.png', member)
    ).data!.uploadFile;
    const SET =
      'mutation($id: ID!, $mediaId: ID) { setCourseCategoryIcon(id: $id, mediaId: $mediaId) { id icon { id } } }';

    const byMember = await graphql(stack.gatewayUrl, SET, { id: '1-1', mediaId: uploaded.id }, member);
    assert.equal(byMember.errors?.[0].extensions?.code, 'FORBIDDEN');

    const notAnImage = (
      await graphql<{ mediaFiles: { items: { id: string }[] } }>(
        stack.gatewayUrl,
        '{ mediaFiles(filter: { type: DOCUMENT }) { items { id } } }',
        {},
        member,
      )
    ).data!.mediaFiles.items[0];
    const wrongType = await graphql(stack.gatewayUrl, SET, { id: '1-1', mediaId: notAnImage.id }, admin);
    assert.equal(wrongType.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(wrongType.errors![0].message, /image/);

    const set = await graphql(stack.gatewayUrl, SET, { id: '1-1', mediaId: uploaded.id }, admin);
    assert.equal(set.errors, undefined, JSON.stringify(set.errors));

    const tree = await graphql<{
      courseCategories: { id: string; icon: { id: string; mimeType: string; url: string; size: string } | null }[];
    }>(stack.gatewayUrl, '{ courseCategories { id icon { id mimeType url size } } }');
    assert.equal(tree.errors, undefined, JSON.stringify(tree.errors));
    const [frontend, ...others] = tree.data!.courseCategories;
    assert.equal(frontend.icon?.id, uploaded.id);
    assert.equal(frontend.icon?.mimeType, 'image/png');
    assert.equal(Number(frontend.icon?.size), image.length);
    assert.ok(others.every((c) => c.icon === null));
    const served = await fetch(frontend.icon!.url);
    assert.equal(md5(Buffer.from(await served.arrayBuffer())), uploaded.id);
  });

  test('subgraphs refuse requests that did not come through the gateway', async () => {
    const direct = await fetch(`http://127.0.0.1:${stack.ports.media}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ _entities(representations: [{ __typename: "Media", id: "x" }]) { __typename } }',
      }),
    });
    assert.equal(direct.status, 403);
    const health = await fetch(`http://127.0.0.1:${stack.ports.media}/health`);
    assert.equal(health.status, 200, 'health stays open for monitoring');
  });

  test('every process reports readiness and metrics', async () => {
    for (const port of Object.values(stack.ports)) {
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      assert.equal(ready.status, 200, await ready.text());
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /http_request_duration_seconds_bucket/);
    }
  });
});
