import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { multipartRequest } from '@learnhub/platform/http';
import { waitUntil } from '@learnhub/platform/testing';
import { graphql, makeTestVideo, mp4FreeBox, PlatformStack, uploadAt, type GraphQLResult } from './platform-stack';

/*
 * Peers that stall, through the gateway, with the gateway and the subgraphs as real processes: a
 * body idle limit of 2 s and a JSON body limit of 3 s.
 */

const MiB = 1024 * 1024;
const CHUNK = 5 * MiB;
const IDLE_SECONDS = 2;
const JSON_SECONDS = 3;

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const chunkOf = (file: Buffer, index: number) => file.subarray(index * CHUNK, (index + 1) * CHUNK);

const STATUS = 'state uploadedChunks missingChunks';
const CHECK_FILE = `mutation ($input: CheckFileInput!) { checkFile(input: $input) { exists upload { ${STATUS} } } }`;
const UPLOAD_CHUNK = `mutation ($input: UploadChunkInput!) { uploadChunk(input: $input) { ${STATUS} } }`;
const MERGE = 'mutation ($input: MergeChunksInput!) { mergeChunks(input: $input) { id size url } }';

interface Status {
  state: string;
  uploadedChunks: number[];
  missingChunks: number[];
}

/** An uploadChunk multipart request written byte for byte, as a client would send it: its head (Connection: close) and body. */
async function chunkRequest(
  token: string,
  fileMd5: string,
  index: number,
  bytes: Buffer,
): Promise<{ head: string; body: Buffer }> {
  const operations = {
    query: UPLOAD_CHUNK,
    variables: { input: { fileMd5, index, chunkMd5: md5(bytes), chunk: null } },
  };
  const request = multipartRequest(operations, { 0: ['variables.input.chunk'] }, [
    { field: '0', filename: `chunk-${index}`, mimetype: 'application/octet-stream', content: [bytes] },
  ]);
  const parts: Buffer[] = [];
  for await (const part of request.body) parts.push(Buffer.from(part));
  const body = Buffer.concat(parts);
  const head =
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nApollo-Require-Preflight: true\r\n` +
    `Content-Type: ${request.contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return { head, body };
}

/** Resolves once the server closes `socket`, with whatever it sent before. */
function closedByServer(socket: Socket): Promise<string> {
  const received: Buffer[] = [];
  socket.on('data', (part: Buffer) => received.push(part));
  socket.on('error', () => undefined);
  return once(socket, 'close').then(() => Buffer.concat(received).toString('latin1'));
}

/** A connection to `port`, open. */
async function connected(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('peers that stall, through the gateway, as real processes', { timeout: 180_000 }, () => {
  let stack: PlatformStack;
  let workDir: string;
  /** A real ~13 MiB H.264 MP4: three chunks. */
  let video: Buffer;

  const member = () => stack.token('user-stall', ['member'], 'org-stall');
  /** Opens the upload of a fresh copy of the video (its own MD5), and returns that copy. */
  async function openUpload(token: string): Promise<Buffer> {
    const copy = Buffer.concat([video, mp4FreeBox(4096)]);
    const opened = await graphql<{ checkFile: { upload: Status } }>(
      stack.gatewayUrl,
      CHECK_FILE,
      { input: { fileMd5: md5(copy), fileName: 'stall.mp4', fileSize: copy.length } },
      token,
    );
    assert.equal(opened.errors, undefined, JSON.stringify(opened.errors));
    assert.deepEqual(opened.data!.checkFile.upload.missingChunks, [0, 1, 2]);
    return copy;
  }
  const sendChunk = (token: string, file: Buffer, index: number) =>
    uploadAt<{ uploadChunk: Status }>(
      stack.gatewayUrl,
      UPLOAD_CHUNK,
      { input: { fileMd5: md5(file), index, chunkMd5: md5(chunkOf(file, index)), chunk: null } },
      'variables.input.chunk',
      new Blob([chunkOf(file, index)]),
      `chunk-${index}`,
      token,
    );

  const mediaGauge = (name: string) => stack.gauge('media', name);

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lh-stall-e2e-'));
    await makeTestVideo(join(workDir, 'big.mp4'), { seconds: 14, bitrate: '8M' });
    video = Buffer.concat([await readFile(join(workDir, 'big.mp4')), mp4FreeBox(4096)]);
    assert.ok(
      video.length > 2 * CHUNK && video.length < 3 * CHUNK,
      `the test video has ${video.length} bytes; it should make 3 chunks`,
    );
    stack = await PlatformStack.start({
      UPLOAD_CHUNK_SIZE: String(CHUNK),
      HTTP_BODY_IDLE_SECONDS: String(IDLE_SECONDS),
      HTTP_JSON_BODY_SECONDS: String(JSON_SECONDS),
    });
  });
  after(async () => {
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  test('a chunk that goes silent mid-body is dropped, and a retry of the same chunk is stored once it is, not held behind it', async () => {
    const token = await member();
    const file = await openUpload(token);
    const fileMd5 = md5(file);

    // The first copy of chunk 1 sends its head and most of the chunk, then nothing more, and never hangs up.
    const { head, body } = await chunkRequest(token, fileMd5, 1, chunkOf(file, 1));
    const stalled = await connected(stack.ports.gateway);
    const events: string[] = [];
    const stalledAnswer = closedByServer(stalled).then((answer) => {
      events.push('stalled copy closed');
      return answer;
    });
    stalled.write(head);
    stalled.write(body.subarray(0, body.length - MiB));
    await waitUntil(
      'the silent copy to hold chunk 1 in media',
      async () => (await mediaGauge('media_upload_chunk_writers')) === 1,
      30_000,
    );

    // Meanwhile the client sends the same chunk again, whole.
    const retry = sendChunk(token, file, 1).then((answer: GraphQLResult<{ uploadChunk: Status }>) => {
      events.push('retry answered');
      return answer;
    });
    await waitUntil(
      'the retry to wait for its turn',
      async () => (await mediaGauge('media_upload_chunk_waiters')) === 1,
      30_000,
    );
    const stored = await retry;
    assert.equal(stored.errors, undefined, JSON.stringify(stored.errors));
    assert.deepEqual(stored.data!.uploadChunk.uploadedChunks, [1]);

    const refusal = await stalledAnswer;
    assert.match(refusal, /^HTTP\/1\.1 408 /);
    assert.match(refusal, /"code":"BAD_USER_INPUT","reason":"BODY_IDLE"/);
    assert.deepEqual(
      events,
      ['stalled copy closed', 'retry answered'],
      'the retry was stored once the silent copy had been dropped',
    );
    assert.deepEqual(
      [await mediaGauge('media_upload_chunk_writers'), await mediaGauge('media_upload_chunk_waiters')],
      [0, 0],
    );

    for (const index of [0, 2]) {
      const sent = await sendChunk(token, file, index);
      assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    }
    const merged = await graphql<{ mergeChunks: { id: string; url: string } }>(
      stack.gatewayUrl,
      MERGE,
      { input: { fileMd5, fileName: 'stall.mp4', chunkTotal: 3 } },
      token,
    );
    assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
    const served = Buffer.from(await (await fetch(merged.data!.mergeChunks.url)).arrayBuffer());
    assert.equal(md5(served), fileMd5);
  });

  test('a chunk whose client drops half-way holds nothing: media lets go of it and the chunk sent again is stored', async () => {
    const token = await member();
    const file = await openUpload(token);
    const { head, body } = await chunkRequest(token, md5(file), 2, chunkOf(file, 2));
    const dropped = await connected(stack.ports.gateway);
    dropped.on('error', () => undefined);
    dropped.write(head);
    dropped.write(body.subarray(0, body.length / 2));
    await waitUntil(
      'media writing the half-sent chunk',
      async () => (await mediaGauge('media_upload_chunk_writers')) === 1,
      30_000,
    );
    dropped.destroy();
    await waitUntil(
      'media to let go of the chunk whose sender is gone',
      async () => (await mediaGauge('media_upload_chunk_writers')) === 0,
      30_000,
    );
    const again = await sendChunk(token, file, 2);
    assert.equal(again.errors, undefined, JSON.stringify(again.errors));
    assert.ok(again.data!.uploadChunk.uploadedChunks.includes(2));
  });

  test('a JSON request that trickles is answered 408 after the JSON limit; a chunk that trickles as slowly for longer is stored', async () => {
    const slowloris = await connected(stack.ports.gateway);
    const refused = closedByServer(slowloris);
    const query = JSON.stringify({ query: '{ __typename }' });
    slowloris.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${query.length}\r\n\r\n`,
    );
    // One byte every 500 ms: never quiet for the idle limit, but it would take longer than the JSON limit.
    const drip = setInterval(() => slowloris.write(query[0]), 500);
    try {
      const answer = await refused;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"code":"BAD_USER_INPUT","reason":"BODY_TIMEOUT"/);
    } finally {
      clearInterval(drip);
    }

    const token = await member();
    const file = await openUpload(token);
    const { head, body } = await chunkRequest(token, md5(file), 2, chunkOf(file, 2));
    const trickle = await connected(stack.ports.gateway);
    const answered = closedByServer(trickle);
    trickle.write(head);
    // The chunk in 12 pieces 500 ms apart: longer in all than the JSON limit, never quiet for the idle limit.
    const pieces = 12;
    for (let i = 0; i < pieces; i++) {
      trickle.write(
        body.subarray(Math.floor((i * body.length) / pieces), Math.floor(((i + 1) * body.length) / pieces)),
      );
      await pause(500);
    }
    const answer = await answered;
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.deepEqual(
      (JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { data: { uploadChunk: Status } }).data.uploadChunk
        .uploadedChunks,
      [2],
    );
  });
});
