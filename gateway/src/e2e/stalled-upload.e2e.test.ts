import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { multipartRequest } from '@learnhub/platform/http/multipart-request';
import { graphql, makeTestVideo, mp4FreeBox, PlatformStack, uploadAt, type GraphQLResult } from './platform-stack';

/*
 * Peers that stall: a chunk upload that goes silent mid-body, through the gateway, with the
 * gateway and media as real processes and a body idle limit of 2 s.
 */

const MiB = 1024 * 1024;
const CHUNK = 5 * MiB;
const IDLE_SECONDS = 2;

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

/** The bytes of an uploadChunk multipart request, as a client would send them. */
async function chunkRequest(fileMd5: string, index: number, bytes: Buffer): Promise<{ contentType: string; body: Buffer }> {
  const operations = { query: UPLOAD_CHUNK, variables: { input: { fileMd5, index, chunkMd5: md5(bytes), chunk: null } } };
  const request = multipartRequest(operations, { 0: ['variables.input.chunk'] }, [{ field: '0', filename: `chunk-${index}`, mimetype: 'application/octet-stream', content: [bytes] }]);
  const parts: Buffer[] = [];
  for await (const part of request.body) parts.push(Buffer.from(part));
  return { contentType: request.contentType, body: Buffer.concat(parts) };
}

/** Resolves once the server closes `socket`, with whatever it sent before. */
function closedByServer(socket: Socket): Promise<string> {
  const received: Buffer[] = [];
  socket.on('data', (part: Buffer) => received.push(part));
  socket.on('error', () => undefined);
  return once(socket, 'close').then(() => Buffer.concat(received).toString('latin1'));
}

describe('peers that stall, through the gateway, as real processes', { timeout: 180_000 }, () => {
  let stack: PlatformStack;
  let workDir: string;
  /** A real ~13 MiB H.264 MP4: three chunks. */
  let video: Buffer;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lh-stall-e2e-'));
    await makeTestVideo(join(workDir, 'big.mp4'), { seconds: 14, bitrate: '8M' });
    video = Buffer.concat([await readFile(join(workDir, 'big.mp4')), mp4FreeBox(4096)]);
    assert.ok(video.length > 2 * CHUNK && video.length < 3 * CHUNK, `the test video has ${video.length} bytes; it should make 3 chunks`);
    stack = await PlatformStack.start({ UPLOAD_CHUNK_SIZE: String(CHUNK), HTTP_BODY_IDLE_SECONDS: String(IDLE_SECONDS) });
  });
  after(async () => {
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  test('a chunk that goes silent mid-body is dropped, and a retry of the same chunk is stored instead of waiting behind it', async () => {
    const token = await stack.token('user-stall', ['member'], 'org-stall');
    const fileMd5 = md5(video);
    const opened = await graphql<{ checkFile: { exists: boolean; upload: Status } }>(stack.gatewayUrl, CHECK_FILE, { input: { fileMd5, fileName: 'stall.mp4', fileSize: video.length } }, token);
    assert.equal(opened.errors, undefined, JSON.stringify(opened.errors));
    assert.deepEqual(opened.data!.checkFile.upload.missingChunks, [0, 1, 2]);

    // The first copy of chunk 1 sends its headers and most of the chunk, then nothing more, and never hangs up.
    const { contentType, body } = await chunkRequest(fileMd5, 1, chunkOf(video, 1));
    const stalled = connect(stack.ports.gateway, '127.0.0.1');
    await once(stalled, 'connect');
    const events: string[] = [];
    const stalledAnswer = closedByServer(stalled).then((answer) => {
      events.push('stalled copy closed');
      return answer;
    });
    stalled.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nApollo-Require-Preflight: true\r\n` +
        `Content-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    stalled.write(body.subarray(0, body.length - MiB));

    // Meanwhile the client sends the same chunk again, whole.
    const retry = uploadAt<{ uploadChunk: Status }>(
      stack.gatewayUrl,
      UPLOAD_CHUNK,
      { input: { fileMd5, index: 1, chunkMd5: md5(chunkOf(video, 1)), chunk: null } },
      'variables.input.chunk',
      new Blob([chunkOf(video, 1)]),
      'chunk-1',
      token,
    ).then((answer: GraphQLResult<{ uploadChunk: Status }>) => {
      events.push('retry answered');
      return answer;
    });
    const stored = await retry;
    assert.equal(stored.errors, undefined, JSON.stringify(stored.errors));
    assert.ok(stored.data!.uploadChunk.uploadedChunks.includes(1));

    assert.doesNotMatch(await stalledAnswer, /^HTTP\/1\.1 200/, 'the stalled copy is never answered as stored');
    assert.deepEqual(events, ['stalled copy closed', 'retry answered']);

    for (const index of [0, 2]) {
      const sent = await uploadAt<{ uploadChunk: Status }>(
        stack.gatewayUrl,
        UPLOAD_CHUNK,
        { input: { fileMd5, index, chunkMd5: md5(chunkOf(video, index)), chunk: null } },
        'variables.input.chunk',
        new Blob([chunkOf(video, index)]),
        `chunk-${index}`,
        token,
      );
      assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    }
    const merged = await graphql<{ mergeChunks: { id: string; url: string } }>(stack.gatewayUrl, MERGE, { input: { fileMd5, fileName: 'stall.mp4', chunkTotal: 3 } }, token);
    assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
    const served = Buffer.from(await (await fetch(merged.data!.mergeChunks.url)).arrayBuffer());
    assert.equal(md5(served), fileMd5);
  });
});
