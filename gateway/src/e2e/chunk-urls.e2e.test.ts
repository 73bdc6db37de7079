import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ChunkUploadTokens } from '@learnhub/media/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { graphql, makeTestVideo, mp4FreeBox, PlatformStack, TEST_JWT_SECRET } from './platform-stack';

/*
 * Chunks sent to the URLs chunkUploadUrls gives, through the gateway, with the gateway and the
 * subgraphs as real processes. The stack stores objects in a local folder, which takes no bytes
 * from clients, so every URL is media's own `PUT <gateway>/uploads/<token>`. (Presigned S3 URLs
 * are tested on the S3 protocol in the object store contract and media's upload tests.)
 */

const MiB = 1024 * 1024;
const CHUNK = 5 * MiB;
const APP_ORIGIN = 'http://app.test';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const chunkOf = (file: Buffer, index: number) => file.subarray(index * CHUNK, (index + 1) * CHUNK);

const STATUS = 'state uploadedChunks missingChunks';
const CHECK_FILE = `mutation ($input: CheckFileInput!) { checkFile(input: $input) { exists upload { ${STATUS} chunkTotal } } }`;
const CHUNK_URLS =
  'mutation ($input: ChunkUploadUrlsInput!) { chunkUploadUrls(input: $input) { index url method headers { name value } expiresAt } }';
const UPLOAD_STATUS = `query ($fileMd5: String!) { uploadStatus(fileMd5: $fileMd5) { ${STATUS} } }`;
const MERGE =
  'mutation ($input: MergeChunksInput!) { mergeChunks(input: $input) { id type mimeType size url fileName } }';

interface ChunkUrl {
  index: number;
  url: string;
  method: string;
  headers: { name: string; value: string }[];
  expiresAt: string;
}

/** An MP4-looking file (the sniffer reads the `ftyp` box). */
function video(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from('000000206674797069736f6d', 'hex').copy(bytes);
  return bytes;
}

describe('chunk upload URLs through the gateway, as real processes', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let workDir: string;
  /** A real one-second H.264 MP4 (ffprobe reads it at merge), a few KiB. */
  let clip: Buffer;
  const member = (organisationId: string) => stack.token(`user-${organisationId}`, ['member'], organisationId);

  async function opened(token: string, bytes: Buffer, fileName: string): Promise<void> {
    const checked = await graphql<{ checkFile: { exists: boolean } }>(
      stack.gatewayUrl,
      CHECK_FILE,
      { input: { fileMd5: md5(bytes), fileName, fileSize: bytes.length } },
      token,
    );
    assert.equal(checked.errors, undefined, JSON.stringify(checked.errors));
    assert.equal(checked.data!.checkFile.exists, false);
  }
  async function urlsFor(token: string, bytes: Buffer, indexes: number[]): Promise<ChunkUrl[]> {
    const result = await graphql<{ chunkUploadUrls: ChunkUrl[] }>(
      stack.gatewayUrl,
      CHUNK_URLS,
      {
        input: {
          fileMd5: md5(bytes),
          chunks: indexes.map((index) => ({ index, chunkMd5: md5(chunkOf(bytes, index)) })),
        },
      },
      token,
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.chunkUploadUrls;
  }
  /** What a browser does with a chunk URL: `fetch(url, { method, headers, body })`. */
  async function put(
    url: string,
    chunk: { method: string; headers: { name: string; value: string }[] },
    body: Buffer,
  ): Promise<{
    status: number;
    body: { error?: { code: string; reason: string; message: string } } & Record<string, unknown>;
  }> {
    const response = await fetch(url, {
      method: chunk.method,
      headers: Object.fromEntries(chunk.headers.map((h) => [h.name, h.value])),
      body,
      signal: AbortSignal.timeout(60_000),
    });
    return { status: response.status, body: (await response.json()) as never };
  }
  const uploaded = async (token: string, bytes: Buffer) => {
    const result = await graphql<{ uploadStatus: { uploadedChunks: number[] } }>(
      stack.gatewayUrl,
      UPLOAD_STATUS,
      { fileMd5: md5(bytes) },
      token,
    );
    return result.data!.uploadStatus.uploadedChunks;
  };
  const merge = (token: string, bytes: Buffer, fileName: string, chunkTotal: number) =>
    graphql<{
      mergeChunks: { id: string; type: string; mimeType: string; size: string; url: string; fileName: string };
    }>(stack.gatewayUrl, MERGE, { input: { fileMd5: md5(bytes), fileName, chunkTotal } }, token);

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lh-chunk-urls-e2e-'));
    await makeTestVideo(join(workDir, 'clip.mp4'), { seconds: 1, size: '160x90', rate: 10 });
    clip = await readFile(join(workDir, 'clip.mp4'));
    stack = await PlatformStack.start({ UPLOAD_CHUNK_SIZE: String(CHUNK), CORS_ORIGINS: APP_ORIGIN });
  });
  after(async () => {
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  test('a video goes up chunk by chunk to its URLs on the gateway and merges into the same bytes', async () => {
    const token = await member('org-urls');
    // A free box after the clip makes it three chunks and leaves it a playable MP4.
    const bytes = Buffer.concat([clip, mp4FreeBox(2 * CHUNK + 4321)]);
    await opened(token, bytes, 'lesson.mp4');
    const urls = await urlsFor(token, bytes, [2, 0, 1]);
    assert.deepEqual(
      urls.map((url) => url.index),
      [2, 0, 1],
    );
    for (const url of urls) {
      assert.ok(url.url.startsWith(`${stack.gatewayUrl}/uploads/`), url.url);
      assert.equal(url.method, 'PUT');
      assert.deepEqual(url.headers, [
        { name: 'Content-MD5', value: createHash('md5').update(chunkOf(bytes, url.index)).digest('base64') },
      ]);
      assert.ok(Date.parse(url.expiresAt) > Date.now());
    }
    for (const url of urls) {
      const sent = await put(url.url, url, chunkOf(bytes, url.index));
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.deepEqual(sent.body, {
        index: url.index,
        chunkMd5: md5(chunkOf(bytes, url.index)),
        size: chunkOf(bytes, url.index).length,
      });
    }
    // Sending a stored chunk again is harmless.
    assert.equal((await put(urls[0].url, urls[0], chunkOf(bytes, 2))).status, 200);
    assert.deepEqual(await uploaded(token, bytes), [0, 1, 2]);
    const merged = await merge(token, bytes, 'lesson.mp4', 3);
    assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
    assert.deepEqual([merged.data!.mergeChunks.type, Number(merged.data!.mergeChunks.size)], ['VIDEO', bytes.length]);
  });

  test('a PDF goes up through chunk URLs and becomes a document served with the same bytes', async () => {
    const token = await member('org-pdf-urls');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(CHUNK + 12_345)]);
    await opened(token, pdf, 'course handbook.pdf');
    for (const url of await urlsFor(token, pdf, [0, 1])) {
      const sent = await put(url.url, url, chunkOf(pdf, url.index));
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }
    const merged = await merge(token, pdf, 'course handbook.pdf', 2);
    assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
    const media = merged.data!.mergeChunks;
    assert.deepEqual(
      [media.type, media.mimeType, media.fileName],
      ['DOCUMENT', 'application/pdf', 'course handbook.pdf'],
    );
    const served = await fetch(media.url);
    assert.equal(served.status, 200);
    assert.equal(md5(Buffer.from(await served.arrayBuffer())), md5(pdf));
  });

  test('a tampered URL, another organisation’s, an expired one and a changed chunk are refused, and nothing is recorded', async () => {
    const token = await member('org-guarded');
    const bytes = video(CHUNK + 999);
    await opened(token, bytes, 'guarded.mp4');
    const [url] = await urlsFor(token, bytes, [1]);
    const chunk = chunkOf(bytes, 1);
    const tokenOf = (href: string) => href.slice(`${stack.gatewayUrl}/uploads/`.length);
    const refused = async (href: string, body: Buffer, status: number, reason: string) => {
      const answer = await put(href, url, body);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.error?.reason, reason, JSON.stringify(answer.body));
      assert.ok(answer.body.error?.message, 'the refusal says what to do');
    };

    const original = tokenOf(url.url);
    const tampered = `${original.slice(0, 20)}${original[20] === 'A' ? 'B' : 'A'}${original.slice(21)}`;
    await refused(`${stack.gatewayUrl}/uploads/${tampered}`, chunk, 403, 'UPLOAD_URL_INVALID');

    // Signed with the real key (the stack's FILE_URL_SECRET falls back to its JWT secret), but for another organisation.
    const tokens = new ChunkUploadTokens(TEST_JWT_SECRET);
    const checked = tokens.check(original);
    assert.ok(checked.valid);
    const foreign = tokens.sign({ ...checked.claims, organisationId: 'org-other' });
    await refused(`${stack.gatewayUrl}/uploads/${foreign}`, chunk, 403, 'UPLOAD_URL_INVALID');
    const expired = tokens.sign({ ...checked.claims, expires: Math.floor(Date.now() / 1000) - 1 });
    await refused(`${stack.gatewayUrl}/uploads/${expired}`, chunk, 403, 'UPLOAD_URL_EXPIRED');

    const changed = Buffer.from(chunk);
    changed[500] ^= 0xff;
    await refused(url.url, changed, 400, 'CHUNK_CHECKSUM_MISMATCH');
    await refused(url.url, chunk.subarray(10), 400, 'CHUNK_SIZE_MISMATCH');
    await refused(url.url, Buffer.concat([chunkOf(bytes, 0), Buffer.alloc(1)]), 413, 'CHUNK_TOO_LARGE');
    // Without a Content-Length (a streamed body) the bytes are counted on the way: whoever sees too many first refuses.
    const [first] = await urlsFor(token, bytes, [0]);
    const streamed = await fetch(first.url, {
      method: 'PUT',
      headers: Object.fromEntries(first.headers.map((h) => [h.name, h.value])),
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(chunkOf(bytes, 0)));
          controller.enqueue(new Uint8Array(64 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const streamedBody = (await streamed.json()) as { error?: { reason: string } };
    assert.ok([400, 413].includes(streamed.status), `${streamed.status} ${JSON.stringify(streamedBody)}`);
    assert.ok(
      ['CHUNK_SIZE_MISMATCH', 'CHUNK_TOO_LARGE'].includes(streamedBody.error?.reason ?? ''),
      JSON.stringify(streamedBody),
    );
    assert.deepEqual(await uploaded(token, bytes), []);

    // The URL itself still works, once.
    assert.equal((await put(url.url, url, chunk)).status, 200);
    assert.deepEqual(await uploaded(token, bytes), [1]);
  });

  test('a client whose connection drops half-way through a chunk leaves nothing held: the chunk sent again is stored', async () => {
    const token = await member('org-dropped');
    const bytes = video(CHUNK + 777);
    await opened(token, bytes, 'dropped.mp4');
    const [url] = await urlsFor(token, bytes, [0]);
    const chunk = chunkOf(bytes, 0);
    const writers = () => stack.gauge('media', 'media_upload_chunk_writers');

    // Half the chunk, then the line goes dead (a laptop closed, a train in a tunnel).
    const half = request(url.url, {
      method: url.method,
      headers: { ...Object.fromEntries(url.headers.map((h) => [h.name, h.value])), 'content-length': chunk.length },
    });
    half.on('error', () => undefined);
    half.write(chunk.subarray(0, chunk.length / 2));
    await waitUntil('media writing the half-sent chunk', async () => (await writers()) === 1, 30_000);
    half.destroy();
    await waitUntil(
      'media to let go of the chunk whose sender is gone',
      async () => (await writers()) === 0,
      30_000,
      async () => `writers: ${await writers()}`,
    );

    const again = await put(url.url, url, chunk);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(await uploaded(token, bytes), [0]);
  });

  test('browsers on an allowed origin may PUT chunks with Content-MD5 (CORS)', async () => {
    const preflight = await fetch(`${stack.gatewayUrl}/uploads/anything`, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-md5, content-type',
      },
    });
    await preflight.arrayBuffer();
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /\bPUT\b/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-md5/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);
  });
});
