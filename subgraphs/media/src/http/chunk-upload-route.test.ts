import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, type IncomingMessage, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { runBucketPrefix, S3RVER_KEY, startS3rverStore } from '@learnhub/platform/testing';
import { startSubgraphAlone, type SubgraphAlone } from '@learnhub/platform/testing';
import { ChunkUploadTokens } from '../rules/chunk-upload-token';
import { startMedia } from '../server';

/*
 * Media's `PUT /uploads/<token>` as the gateway's /uploads proxy reaches it: the media subgraph
 * serving HTTP on a free port with its own SQLite database, the URLs asked for with
 * chunkUploadUrls and every chunk sent as a real request. On the local object store each URL is
 * media's route; on the S3 protocol (s3rver) they are the store's presigned UploadPart URLs.
 */

const CHUNK = 5 * 1024 * 1024;
const PUBLIC_URL = 'http://gateway.test';
const GATEWAY_SECRET = 'the-gateway-secret-for-chunk-route-tests';
const URL_TTL_SECONDS = 120;
const ENV = {
  UPLOAD_CHUNK_SIZE: String(CHUNK),
  PUBLIC_URL,
  GATEWAY_SECRET,
  UPLOAD_URL_TTL_SECONDS: String(URL_TTL_SECONDS),
};

const CHECK_FILE = 'mutation ($input: CheckFileInput!) { checkFile(input: $input) { exists upload { chunkTotal } } }';
const CHUNK_URLS =
  'mutation ($input: ChunkUploadUrlsInput!) { chunkUploadUrls(input: $input) { index url method headers { name value } expiresAt } }';
const UPLOAD_STATUS =
  'query ($fileMd5: String!) { uploadStatus(fileMd5: $fileMd5) { state uploadedChunks missingChunks } }';
const MERGE = 'mutation ($input: MergeChunksInput!) { mergeChunks(input: $input) { type size url } }';
const ABORT = 'mutation ($fileMd5: String!) { abortUpload(fileMd5: $fileMd5) }';

interface ChunkUrl {
  index: number;
  url: string;
  method: string;
  headers: { name: string; value: string }[];
  expiresAt: string;
}
interface Answer {
  status: number;
  text: string;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const base64Md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');
const headersOf = (url: ChunkUrl) => Object.fromEntries(url.headers.map((h) => [h.name, h.value]));
const tokenOf = (url: ChunkUrl) => url.url.slice(`${PUBLIC_URL}/uploads/`.length);
/** A PDF (its head is what the sniffer reads) of `size` bytes. */
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

/** A file a member of `organisationId` uploads in chunks to the media subgraph `media`. */
class ChunkedFile {
  readonly fileMd5: string;
  readonly chunkTotal: number;

  constructor(
    private readonly media: SubgraphAlone,
    readonly organisationId: string,
    readonly bytes: Buffer,
    readonly fileName: string,
  ) {
    this.fileMd5 = md5(bytes);
    this.chunkTotal = Math.ceil(bytes.length / CHUNK);
  }

  chunk(index: number): Buffer {
    return this.bytes.subarray(index * CHUNK, (index + 1) * CHUNK);
  }

  /** The data of a call that must succeed. */
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the answers' fields by path.
  async ask(query: string, variables: object): Promise<any> {
    const viewer = {
      userId: `${this.organisationId}-user`,
      roles: ['member' as const],
      organisationId: this.organisationId,
    };
    const answer = await this.media.graphql(query, variables, viewer);
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    return answer.data;
  }

  async open(): Promise<this> {
    const { checkFile } = await this.ask(CHECK_FILE, {
      input: { fileMd5: this.fileMd5, fileName: this.fileName, fileSize: this.bytes.length },
    });
    assert.deepEqual(checkFile, { exists: false, upload: { chunkTotal: this.chunkTotal } });
    return this;
  }

  async urls(indexes: number[]): Promise<ChunkUrl[]> {
    const chunks = indexes.map((index) => ({ index, chunkMd5: md5(this.chunk(index)) }));
    return (await this.ask(CHUNK_URLS, { input: { fileMd5: this.fileMd5, chunks } })).chunkUploadUrls;
  }

  async status(): Promise<{ state: string; uploadedChunks: number[]; missingChunks: number[] }> {
    return (await this.ask(UPLOAD_STATUS, { fileMd5: this.fileMd5 })).uploadStatus;
  }

  async merge(): Promise<{ type: string; size: string; url: string }> {
    const input = { fileMd5: this.fileMd5, fileName: this.fileName, chunkTotal: this.chunkTotal };
    return (await this.ask(MERGE, { input })).mergeChunks;
  }

  async abort(): Promise<boolean> {
    return (await this.ask(ABORT, { fileMd5: this.fileMd5 })).abortUpload;
  }
}

/**
 * Where a URL the API handed out is opened: one on the gateway's origin on media's own, with the
 * gateway's secret, as the gateway's proxies send it; any other (the store's) as it is.
 */
function reach(media: SubgraphAlone, url: string): { target: string; headers: Record<string, string> } {
  const handed = new URL(url);
  if (handed.origin !== PUBLIC_URL) return { target: url, headers: {} };
  return {
    target: `${media.origin}${handed.pathname}${handed.search}`,
    headers: { 'x-gateway-secret': GATEWAY_SECRET },
  };
}

/** Sends `body` to a chunk URL with the headers it came with (and `headers` over them), as a client does. */
async function put(media: SubgraphAlone, url: ChunkUrl, body: Buffer, headers = {}): Promise<Answer> {
  const { target, headers: routing } = reach(media, url.url);
  const response = await fetch(target, {
    method: url.method,
    headers: { ...routing, ...headersOf(url), ...headers },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, text: await response.text() };
}

/** Asserts the route's refusal: the status, and the error's code and reason, with a message saying what to do. */
function assertRefused(answer: Answer, status: number, code: string, reason: string, advice: RegExp): void {
  assert.equal(answer.status, status, answer.text);
  const { error } = JSON.parse(answer.text) as { error: { code: string; reason: string; message: string } };
  assert.deepEqual({ code: error.code, reason: error.reason }, { code, reason }, answer.text);
  assert.match(error.message, advice);
}

/** The MD5 of the bytes at a media URL. */
async function md5At(media: SubgraphAlone, url: string): Promise<string> {
  const { target, headers } = reach(media, url);
  const response = await fetch(target, { headers, signal: AbortSignal.timeout(60_000) });
  assert.equal(response.status, 200);
  return md5(Buffer.from(await response.arrayBuffer()));
}

describe('media’s chunk upload route on the local object store', { timeout: 300_000 }, () => {
  let media: SubgraphAlone;
  let tokens: ChunkUploadTokens;
  before(async () => {
    media = await startSubgraphAlone(startMedia, ENV);
    assert.equal(media.config.objectStore.kind, 'local');
    tokens = new ChunkUploadTokens(media.config.files.urlSecret);
  });
  after(() => media?.stop());

  /** The claims an issued URL's token carries (it is signed with the media's own secret). */
  const claimsOf = (url: ChunkUrl) => {
    const checked = tokens.check(tokenOf(url));
    assert.ok(checked.valid, `an issued token is valid: ${JSON.stringify(checked)}`);
    return checked.claims;
  };
  const urlWith = (url: ChunkUrl, token: string): ChunkUrl => ({ ...url, url: `${PUBLIC_URL}/uploads/${token}` });

  test('chunks PUT to their URLs are stored, uploadStatus shows them, and mergeChunks makes the same file', async () => {
    const file = await new ChunkedFile(media, 'org-stored', pdf(CHUNK + 4321), 'handbook.pdf').open();
    const issuedFrom = Math.floor(Date.now() / 1000);
    const urls = await file.urls([1, 0]);
    const issuedTo = Math.floor(Date.now() / 1000);
    for (const url of urls) {
      assert.ok(url.url.startsWith(`${PUBLIC_URL}/uploads/`), url.url);
      assert.equal(url.method, 'PUT');
      assert.deepEqual(url.headers, [{ name: 'Content-MD5', value: base64Md5(file.chunk(url.index)) }]);
      const claims = claimsOf(url);
      assert.deepEqual(
        [claims.organisationId, claims.index, claims.size, claims.md5],
        ['org-stored', url.index, file.chunk(url.index).length, md5(file.chunk(url.index))],
      );
      assert.equal(Date.parse(url.expiresAt), claims.expires * 1000);
      assert.ok(
        claims.expires >= issuedFrom + URL_TTL_SECONDS && claims.expires <= issuedTo + URL_TTL_SECONDS,
        `the URL lasts UPLOAD_URL_TTL_SECONDS: ${claims.expires} for ${issuedFrom}..${issuedTo}`,
      );
    }

    const [second, first] = urls;
    const stored = await put(media, second, file.chunk(1));
    assert.equal(stored.status, 200, stored.text);
    assert.deepEqual(JSON.parse(stored.text), { index: 1, chunkMd5: md5(file.chunk(1)), size: 4321 });
    assert.deepEqual(await file.status(), { state: 'UPLOADING', uploadedChunks: [1], missingChunks: [0] });
    assert.equal((await put(media, first, file.chunk(0))).status, 200);
    assert.deepEqual(await file.status(), { state: 'UPLOADING', uploadedChunks: [0, 1], missingChunks: [] });

    const merged = await file.merge();
    assert.deepEqual([merged.type, Number(merged.size)], ['DOCUMENT', file.bytes.length]);
    assert.equal(await md5At(media, merged.url), file.fileMd5);
  });

  test('an altered, expired or foreign URL is refused with 403, and the upload records nothing', async () => {
    const file = await new ChunkedFile(media, 'org-guarded', pdf(CHUNK + 999), 'guarded.pdf').open();
    const [url] = await file.urls([1]);
    const chunk = file.chunk(1);
    const token = tokenOf(url);
    const claims = claimsOf(url);

    const tampered = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    assertRefused(
      await put(media, urlWith(url, tampered), chunk),
      403,
      'FORBIDDEN',
      'UPLOAD_URL_INVALID',
      /altered.*ask chunkUploadUrls for a fresh one/,
    );
    // Signed with media's own key: the expiry is read only from a genuine token.
    const expired = tokens.sign({ ...claims, expires: Math.floor(Date.now() / 1000) - 1 });
    assertRefused(
      await put(media, urlWith(url, expired), chunk),
      403,
      'FORBIDDEN',
      'UPLOAD_URL_EXPIRED',
      /expired: ask chunkUploadUrls for a fresh one/,
    );

    // Another organisation uploading the same file has a session of its own: its URL writes there alone.
    const theirs = await new ChunkedFile(media, 'org-other', file.bytes, 'guarded.pdf').open();
    const [theirUrl] = await theirs.urls([1]);
    const theirClaims = claimsOf(theirUrl);
    assert.notEqual(theirClaims.sessionId, claims.sessionId);
    // Their grant pointed at this session (as theirs, or passed off as this organisation's), and this grant claimed by them: none binds.
    for (const foreign of [
      tokens.sign({ ...theirClaims, sessionId: claims.sessionId }),
      tokens.sign({ ...claims, organisationId: 'org-other' }),
      tokens.sign({ ...theirClaims, organisationId: 'org-guarded', sessionId: claims.sessionId }),
    ]) {
      assertRefused(
        await put(media, urlWith(url, foreign), chunk),
        403,
        'FORBIDDEN',
        'UPLOAD_URL_INVALID',
        /another organisation: call checkFile and chunkUploadUrls again/,
      );
    }
    assert.equal((await put(media, theirUrl, chunk)).status, 200);
    assert.deepEqual((await theirs.status()).uploadedChunks, [1]);
    assert.deepEqual((await file.status()).uploadedChunks, [], 'nothing was recorded for this organisation');

    assert.equal((await put(media, url, chunk)).status, 200, 'the genuine URL still works');
    assert.deepEqual((await file.status()).uploadedChunks, [1]);
  });

  test('a body other than the chunk the URL was asked for is refused with 400, and nothing is recorded', async () => {
    const file = await new ChunkedFile(media, 'org-bodies', pdf(2 * CHUNK + 10), 'bodies.pdf').open();
    const [url] = await file.urls([1]);
    const chunk = file.chunk(1);
    const changed = Buffer.from(chunk);
    changed[4096] ^= 0xff;

    assertRefused(await put(media, url, changed), 400, 'BAD_USER_INPUT', 'CHUNK_CHECKSUM_MISMATCH', /arrived damaged/);
    assertRefused(
      await put(media, url, changed, { 'Content-MD5': base64Md5(changed) }),
      400,
      'BAD_USER_INPUT',
      'CHUNK_CHECKSUM_MISMATCH',
      /send the headers the URL came with/,
    );
    const wrongSize = /send exactly the chunk the URL was asked for/;
    for (const body of [chunk.subarray(1), Buffer.concat([chunk, Buffer.alloc(1)]), file.chunk(2)])
      assertRefused(await put(media, url, body), 400, 'BAD_USER_INPUT', 'CHUNK_SIZE_MISMATCH', wrongSize);
    assert.deepEqual((await file.status()).uploadedChunks, [], 'nothing was recorded');

    assert.equal((await put(media, url, chunk)).status, 200, 'the URL still takes its chunk');
    assert.deepEqual((await file.status()).uploadedChunks, [1]);
  });

  test('a URL of a merged upload is refused with 409, one of an aborted upload with 403', async () => {
    const merged = await new ChunkedFile(media, 'org-ended', pdf(1000), 'merged.pdf').open();
    const [mergedUrl] = await merged.urls([0]);
    assert.equal((await put(media, mergedUrl, merged.chunk(0))).status, 200);
    await merged.merge();
    assertRefused(
      await put(media, mergedUrl, merged.chunk(0)),
      409,
      'CONFLICT',
      'UPLOAD_NOT_OPEN',
      /is completed; chunks are only taken while uploading/,
    );

    // Aborting removes the session the URL names: it is a URL of no upload any more.
    const aborted = await new ChunkedFile(media, 'org-ended', pdf(2000), 'aborted.pdf').open();
    const [abortedUrl] = await aborted.urls([0]);
    assert.equal(await aborted.abort(), true);
    assertRefused(
      await put(media, abortedUrl, aborted.chunk(0)),
      403,
      'FORBIDDEN',
      'UPLOAD_URL_INVALID',
      /belongs to an upload that has ended/,
    );
    assert.equal((await aborted.status()).state, 'NOT_STARTED');
  });

  test('a client still sending a refused body gets the answer, and its next chunk goes on the same connection', async () => {
    const file = await new ChunkedFile(media, 'org-socket', pdf(CHUNK + 77), 'socket.pdf').open();
    const [url] = await file.urls([0]);
    const chunk = file.chunk(0);
    const token = tokenOf(url);
    const tampered = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    /** A chunk request on the agent's one connection, its body left to the caller to send. */
    const start = (sent: ChunkUrl, headers: Record<string, string>) => {
      const { target, headers: routing } = reach(media, sent.url);
      return request(target, { method: sent.method, agent, headers: { ...routing, ...headersOf(sent), ...headers } });
    };
    const answered = async (sent: ReturnType<typeof request>) => {
      const [response] = (await once(sent, 'response', { signal: AbortSignal.timeout(30_000) })) as [IncomingMessage];
      return response;
    };
    const read = async (response: IncomingMessage): Promise<Answer> => {
      const parts: Buffer[] = [];
      for await (const part of response) parts.push(part as Buffer);
      return { status: response.statusCode ?? 0, text: Buffer.concat(parts).toString() };
    };
    try {
      // Refused before any byte is read: most of the body goes out after the answer came.
      const early = start(urlWith(url, tampered), { 'content-length': String(chunk.length) });
      early.write(chunk.subarray(0, 64 * 1024));
      const refusal = await answered(early);
      early.end(chunk.subarray(64 * 1024));
      await once(early, 'finish');
      assertRefused(await read(refusal), 403, 'FORBIDDEN', 'UPLOAD_URL_INVALID', /altered/);

      // Refused midway, by the store counting too many bytes of a streamed body: more follows the answer.
      const late = start(url, { 'transfer-encoding': 'chunked' });
      late.write(Buffer.concat([chunk, Buffer.alloc(64 * 1024)]));
      const tooLong = await answered(late);
      late.end(Buffer.alloc(1024 * 1024));
      await once(late, 'finish');
      assert.equal(late.reusedSocket, true, 'the refused requests shared one connection');
      assertRefused(
        await read(tooLong),
        400,
        'BAD_USER_INPUT',
        'CHUNK_SIZE_MISMATCH',
        new RegExp(`should have ${CHUNK} bytes`),
      );

      const good = start(url, { 'content-length': String(chunk.length) });
      good.end(chunk);
      const stored = await read(await answered(good));
      assert.equal(stored.status, 200, stored.text);
      assert.equal(good.reusedSocket, true, 'the chunk went on the connection of the refused ones');
      assert.deepEqual((await file.status()).uploadedChunks, [0]);
    } finally {
      agent.destroy();
    }
  });
});

describe('chunk URLs on the S3 protocol (s3rver): the store’s presigned UploadPart, not media’s route', {
  timeout: 300_000,
}, () => {
  let s3: Awaited<ReturnType<typeof startS3rverStore>>;
  let media: SubgraphAlone;
  before(async () => {
    s3 = await startS3rverStore();
    media = await startSubgraphAlone(startMedia, {
      ...ENV,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: S3RVER_KEY,
      S3_SECRET_KEY: S3RVER_KEY,
      S3_BUCKET_PREFIX: runBucketPrefix(),
    });
    assert.equal(media.config.objectStore.kind, 's3');
  });
  after(async () => {
    await media?.stop();
    await s3?.close();
  });

  test('chunks go to the store, which refuses a body sent with another Content-MD5; uploadStatus and mergeChunks follow', async () => {
    const file = await new ChunkedFile(media, 'org-s3', pdf(CHUNK + 4321), 'handbook.pdf').open();
    const urls = await file.urls([0, 1]);
    const uploadIds = new Set<string | null>();
    for (const url of urls) {
      const presigned = new URL(url.url);
      assert.equal(presigned.origin, s3.endpoint);
      assert.equal(presigned.searchParams.get('partNumber'), String(url.index + 1));
      assert.equal(presigned.searchParams.get('X-Amz-SignedHeaders'), 'content-md5;host');
      uploadIds.add(presigned.searchParams.get('uploadId'));
      assert.equal(url.method, 'PUT');
      assert.deepEqual(url.headers, [{ name: 'Content-MD5', value: base64Md5(file.chunk(url.index)) }]);
    }
    assert.equal(uploadIds.size, 1, 'both parts belong to the upload’s one multipart upload');
    assert.ok([...uploadIds][0], 'the URLs name the multipart upload');

    // The Content-MD5 is signed into the URL: other bytes with their own MD5 are not what it allows.
    const changed = Buffer.from(file.chunk(1));
    changed[100] ^= 0xff;
    const refused = await put(media, urls[1], changed, { 'Content-MD5': base64Md5(changed) });
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /SignatureDoesNotMatch/);

    for (const url of urls) {
      const sent = await put(media, url, file.chunk(url.index));
      assert.equal(sent.status, 200, sent.text);
    }
    assert.deepEqual(await file.status(), { state: 'UPLOADING', uploadedChunks: [0, 1], missingChunks: [] });
    const merged = await file.merge();
    assert.deepEqual([merged.type, Number(merged.size)], ['DOCUMENT', file.bytes.length]);
    assert.equal(await md5At(media, merged.url), file.fileMd5);
  });
});
