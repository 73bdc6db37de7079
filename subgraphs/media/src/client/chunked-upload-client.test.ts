import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ChunkedUploadError, fileDigests, uploadFile } from './chunked-upload-client';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const CHUNK = 1000;

type Reply = { status?: number; body: unknown } | 'drop' | 'silent';

/**
 * A stand-in GraphQL endpoint: answers checkFile with an upload of 1000-byte chunks, checks each
 * chunk's MD5, and lets a test script failures per chunk index.
 */
class FakeEndpoint {
  server!: Server;
  received: number[] = [];
  failures = new Map<number, Reply[]>();
  /** Answers to the next merge calls, before the real one. */
  mergeReplies: Reply[] = [];
  stored = new Set<number>();
  file!: Buffer;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.answer(req).then((reply) => {
        if (reply === 'drop') return req.socket.destroy();
        if (reply === 'silent') return;
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  private async answer(req: IncomingMessage): Promise<Reply> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const request = new Request('http://x/', {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(parts),
    });
    if (!req.headers['content-type']?.startsWith('multipart/form-data')) {
      const { query } = (await request.json()) as { query: string };
      const total = Math.ceil(this.file.length / CHUNK);
      const missing = [...Array(total).keys()].filter((i) => !this.stored.has(i));
      if (query.includes('checkFile')) {
        return {
          body: {
            data: {
              checkFile: {
                exists: false,
                media: null,
                proof: null,
                upload: {
                  state: 'UPLOADING',
                  chunkSize: CHUNK,
                  chunkTotal: total,
                  uploadedChunks: [...this.stored],
                  missingChunks: missing,
                },
              },
            },
          },
        };
      }
      if (missing.length)
        return {
          body: {
            errors: [{ message: 'missing', extensions: { code: 'BAD_USER_INPUT', reason: 'CHUNKS_MISSING', missing } }],
          },
        };
      const scripted = this.mergeReplies.shift();
      if (scripted) return scripted;
      return {
        body: {
          data: { mergeChunks: { id: md5(this.file), fileMd5: md5(this.file), size: String(this.file.length) } },
        },
      };
    }
    assert.equal(req.headers['apollo-require-preflight'], 'true');
    const form = await request.formData();
    const { variables } = JSON.parse(String(form.get('operations'))) as {
      variables: { input: { index: number; chunkMd5: string } };
    };
    assert.deepEqual(JSON.parse(String(form.get('map'))), { 0: ['variables.input.chunk'] });
    const { index, chunkMd5 } = variables.input;
    this.received.push(index);
    const scripted = this.failures.get(index)?.shift();
    if (scripted) return scripted;
    const bytes = Buffer.from(await (form.get('0') as Blob).arrayBuffer());
    assert.equal(md5(bytes), chunkMd5);
    assert.deepEqual(bytes, this.file.subarray(index * CHUNK, (index + 1) * CHUNK));
    this.stored.add(index);
    return { body: { data: { uploadChunk: { state: 'UPLOADING' } } } };
  }
}

describe('the chunked upload client', () => {
  const fake = new FakeEndpoint();
  let endpoint: string;
  let dir: string;
  let path: string;

  before(async () => {
    endpoint = await fake.start();
    dir = await mkdtemp(join(tmpdir(), 'lh-client-test-'));
    path = join(dir, 'file.mp4');
  });
  beforeEach(async () => {
    fake.file = randomBytes(4 * CHUNK + 123);
    await writeFile(path, fake.file);
    fake.received = [];
    fake.failures.clear();
    fake.mergeReplies = [];
    fake.stored.clear();
  });
  after(async () => {
    fake.server.closeAllConnections();
    fake.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const options = () => ({ endpoint, token: 't', path, retryDelayMs: 1 });

  test('hashes the file and each of its chunks in one read, for chunk sizes that do and do not divide the read blocks', async () => {
    for (const chunkSize of [1000, 1024 * 1024, 3 * 1024 * 1024 + 1, fake.file.length, fake.file.length + 1]) {
      const expected = Array.from({ length: Math.ceil(fake.file.length / chunkSize) }, (_, i) =>
        md5(fake.file.subarray(i * chunkSize, (i + 1) * chunkSize)),
      );
      assert.deepEqual(
        await fileDigests(path, chunkSize),
        { fileMd5: md5(fake.file), chunkMd5s: expected },
        `chunks of ${chunkSize}`,
      );
    }
  });

  test('sends each chunk once and reports the stored ones as reused', async () => {
    fake.stored.add(1).add(3);
    // With the server's chunk size known, the chunk MD5s the server checks come from the first read.
    const result = await uploadFile({ ...options(), concurrency: 2, chunkSize: CHUNK });
    assert.deepEqual([...fake.received].sort(), [0, 2, 4]);
    assert.equal(result.reusedChunks, 2);
    assert.equal(result.media.fileMd5, md5(fake.file));
  });

  test('retries dropped connections, server errors and damaged chunks, then succeeds', async () => {
    fake.failures.set(0, ['drop']);
    fake.failures.set(2, [
      { status: 503, body: { message: 'busy' } },
      { status: 500, body: { errors: [{ message: 'boom', extensions: { code: 'INTERNAL' } }] } },
    ]);
    fake.failures.set(4, [
      {
        body: {
          errors: [{ message: 'damaged', extensions: { code: 'BAD_USER_INPUT', reason: 'CHUNK_CHECKSUM_MISMATCH' } }],
        },
      },
    ]);
    const result = await uploadFile(options());
    assert.equal(result.instant, false);
    assert.deepEqual([...fake.received].sort(), [0, 0, 1, 2, 2, 2, 3, 4, 4]);
  });

  test('asks again while another request merges the upload (UPLOAD_MERGING), then gets the media', async () => {
    const merging = {
      body: {
        errors: [
          {
            message: 'The upload is being merged by another request; merging, ask again in a few seconds.',
            extensions: { code: 'CONFLICT', reason: 'UPLOAD_MERGING' },
          },
        ],
      },
    };
    fake.mergeReplies = [merging, merging];
    const result = await uploadFile(options());
    assert.equal(result.media.fileMd5, md5(fake.file));
    assert.deepEqual(fake.mergeReplies, [], 'both answers were heard and asked past');
  });

  test('sends a chunk again while an earlier copy of it is still arriving on the server (CHUNK_UPLOADING)', async () => {
    const arriving = {
      body: {
        errors: [
          {
            message: 'Chunk 3 is still arriving in another request; send this chunk again in a few seconds.',
            extensions: { code: 'CONFLICT', reason: 'CHUNK_UPLOADING' },
          },
        ],
      },
    };
    fake.failures.set(3, [arriving, arriving]);
    const result = await uploadFile(options());
    assert.equal(result.media.fileMd5, md5(fake.file));
    assert.equal(fake.received.filter((i) => i === 3).length, 3);
  });

  test('keeps asking while a merge goes on past its retries (a big file, or a crashed merge until its lease ends), up to mergeWaitMs', async () => {
    const merging = {
      body: {
        errors: [
          {
            message: 'merging, ask again in a few seconds.',
            extensions: { code: 'CONFLICT', reason: 'UPLOAD_MERGING' },
          },
        ],
      },
    };
    fake.mergeReplies = Array.from({ length: 6 }, () => merging);
    const result = await uploadFile({ ...options(), retries: 1 });
    assert.equal(result.media.fileMd5, md5(fake.file));
    assert.deepEqual(fake.mergeReplies, [], 'every answer was heard and asked past');

    fake.mergeReplies = Array.from({ length: 1000 }, () => merging);
    await assert.rejects(uploadFile({ ...options(), retries: 1, mergeWaitMs: 50 }), {
      name: 'ChunkedUploadError',
      code: 'CONFLICT',
      reason: 'UPLOAD_MERGING',
    });
    assert.ok(fake.mergeReplies.length > 0, 'it stopped asking once mergeWaitMs had passed');
  });

  test('gives up after the allowed retries, with the error of the last attempt', async () => {
    fake.failures.set(
      1,
      Array.from({ length: 5 }, () => ({ status: 502, body: { message: 'bad gateway' } })),
    );
    await assert.rejects(uploadFile({ ...options(), retries: 2 }), (error: unknown) => {
      assert.ok(error instanceof ChunkedUploadError);
      assert.equal(error.status, 502);
      return true;
    });
    assert.equal(fake.received.filter((i) => i === 1).length, 3);
  });

  test('does not retry a refused chunk, and says why', async () => {
    fake.failures.set(0, [
      { body: { errors: [{ message: 'not a video', extensions: { code: 'BAD_USER_INPUT', reason: 'NOT_A_VIDEO' } }] } },
    ]);
    await assert.rejects(uploadFile({ ...options(), concurrency: 1 }), {
      name: 'ChunkedUploadError',
      code: 'BAD_USER_INPUT',
      reason: 'NOT_A_VIDEO',
    });
    assert.deepEqual(fake.received, [0]);
  });

  test('gives a request no answer comes to up after requestTimeoutMs and sends it again', async () => {
    fake.failures.set(2, ['silent']);
    const result = await uploadFile({ ...options(), requestTimeoutMs: 300 });
    assert.equal(result.media.fileMd5, md5(fake.file));
    assert.deepEqual([...fake.received].sort(), [0, 1, 2, 2, 3, 4]);
  });

  test('a server that never answers ends the upload with a network error that says so', async () => {
    fake.failures.set(
      0,
      Array.from({ length: 3 }, (): Reply => 'silent'),
    );
    await assert.rejects(
      uploadFile({ ...options(), concurrency: 1, retries: 2, requestTimeoutMs: 200 }),
      (error: unknown) => {
        assert.ok(error instanceof ChunkedUploadError);
        assert.equal(error.code, 'NETWORK_ERROR');
        assert.match(error.message, /no answer within 0\.2 s/);
        return true;
      },
    );
    assert.deepEqual(fake.received, [0, 0, 0]);
  });

  test('stops when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(uploadFile({ ...options(), signal: controller.signal }), { code: 'ABORTED' });
    assert.deepEqual(fake.received, []);
  });
});
