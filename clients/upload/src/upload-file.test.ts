import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, utimesSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FileHasher } from './hashing/file-hasher.js';
import { inlineHasher } from './hashing/inline-hasher.js';
import { openFile } from './node/file-source.js';
import { JsonFileResumeStore } from './node/json-file-resume-store.js';
import { graphqlError, ScriptedEndpoint } from './testing/scripted-endpoint.js';
import { type UploadOptions, uploadFile } from './upload-file.js';
import { UploadError } from './upload-error.js';
import type { UploadProgress } from './upload-progress.js';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const CHUNK = 1000;

/** A hasher that counts the digests asked of it, to tell a resumed upload that skipped hashing. */
function countingHasher(): FileHasher & { digests: number } {
  const hasher = {
    digests: 0,
    digest: (...args: Parameters<FileHasher['digest']>) => {
      hasher.digests++;
      return inlineHasher.digest(...args);
    },
    rangeMd5: inlineHasher.rangeMd5,
  };
  return hasher;
}

describe('uploadFile against a scripted endpoint', () => {
  let server: ScriptedEndpoint;
  let dir: string;
  let path: string;
  let bytes: Buffer;

  before(async () => {
    server = await ScriptedEndpoint.start();
    dir = await mkdtemp(join(tmpdir(), 'lh-upload-client-'));
    path = join(dir, 'file.mp4');
  });
  beforeEach(async () => {
    bytes = randomBytes(4 * CHUNK + 123);
    await writeFile(path, bytes);
    server.reset(bytes, CHUNK);
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (options: Partial<UploadOptions> = {}) =>
    uploadFile(await openFile(path), {
      endpoint: server.url,
      token: 't',
      transport: 'multipart',
      retryDelayMs: 1,
      resumeStore: null,
      hasher: inlineHasher,
      ...options,
    });
  const sorted = (indexes: number[]) => [...indexes].sort((a, b) => a - b);

  test('asks the chunk size first, then sends each missing chunk once and counts the stored ones as reused', async () => {
    server.stored.add(1).add(3);
    const progress: UploadProgress[] = [];
    const result = await upload({ concurrency: 2, onProgress: (p) => progress.push(p) });
    assert.deepEqual(sorted(server.received), [0, 2, 4]);
    assert.equal(server.operations[0], 'uploadStatus', 'the chunk size is asked before hashing');
    assert.deepEqual(
      { reused: result.reusedChunks, sent: result.sentChunks, total: result.chunkTotal, instant: result.instant },
      { reused: 2, sent: 3, total: 5, instant: false },
    );
    assert.equal(result.fileMd5, md5(bytes));
    const uploading = progress.filter((p) => p.phase === 'uploading');
    assert.equal(uploading[0].sentBytes, 2 * CHUNK, 'chunks already stored count as sent from the start');
    assert.deepEqual(
      uploading.map((p) => p.sentChunks),
      [2, 3, 4, 5],
    );
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ['hashing', 'uploading', 'merging', 'done']);
    assert.equal(progress.at(-1)?.sentBytes, bytes.length);
  });

  test('retries dropped connections, server errors, 429 and damaged chunks, then succeeds', async () => {
    server.chunkFailures.set(0, ['drop']);
    server.chunkFailures.set(2, [
      { status: 503, body: { message: 'busy' } },
      { status: 500, body: { errors: [{ message: 'boom', extensions: { code: 'INTERNAL' } }] } },
    ]);
    server.chunkFailures.set(3, [{ status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '0' } }]);
    server.chunkFailures.set(4, [graphqlError('BAD_USER_INPUT', 'CHUNK_CHECKSUM_MISMATCH', 'damaged')]);
    const result = await upload();
    assert.equal(result.sentChunks, 5);
    assert.deepEqual(sorted(server.received), [0, 0, 1, 2, 2, 2, 3, 3, 4, 4]);
  });

  test('never retries another refusal (4xx): it comes back with the server code, reason and message', async () => {
    server.chunkFailures.set(0, [graphqlError('BAD_USER_INPUT', 'NOT_A_VIDEO', '"file.mp4" is not a video.')]);
    await assert.rejects(upload({ concurrency: 1 }), (error: unknown) => {
      assert.ok(error instanceof UploadError);
      assert.deepEqual(
        [error.code, error.reason, error.message],
        ['BAD_USER_INPUT', 'NOT_A_VIDEO', '"file.mp4" is not a video.'],
      );
      assert.equal(error.retryable, false);
      return true;
    });
    assert.deepEqual(server.received, [0]);
  });

  test('gives up after the allowed retries, with the last error', async () => {
    server.chunkFailures.set(
      1,
      Array.from({ length: 5 }, () => ({ status: 502, body: { message: 'bad gateway' } })),
    );
    await assert.rejects(upload({ retries: 2 }), { name: 'UploadError', code: 'HTTP_ERROR', status: 502 });
    assert.equal(server.received.filter((i) => i === 1).length, 3);
  });

  test('a request nobody answers counts as a network error after requestTimeoutMs and is sent again', async () => {
    server.chunkFailures.set(2, ['silent']);
    const result = await upload({ requestTimeoutMs: 300 });
    assert.equal(result.sentChunks, 5);
    assert.deepEqual(sorted(server.received), [0, 1, 2, 2, 3, 4]);

    server.reset(bytes, CHUNK);
    server.chunkFailures.set(0, ['silent', 'silent', 'silent']);
    await assert.rejects(upload({ concurrency: 1, retries: 2, requestTimeoutMs: 200 }), (error: unknown) => {
      assert.ok(error instanceof UploadError);
      assert.equal(error.code, 'NETWORK_ERROR');
      assert.match(error.message, /no answer within 0\.2 s/);
      return true;
    });
  });

  test('keeps asking while another request merges (UPLOAD_MERGING), past its retries, up to mergeWaitMs', async () => {
    const merging = graphqlError('CONFLICT', 'UPLOAD_MERGING', 'merging, ask again in a few seconds.');
    server.replies.set(
      'MergeChunks',
      Array.from({ length: 4 }, () => merging),
    );
    const result = await upload({ retries: 1 });
    assert.equal(result.fileMd5, md5(bytes));
    assert.deepEqual(server.replies.get('MergeChunks'), [], 'every answer was heard and asked past');

    server.reset(bytes, CHUNK);
    server.replies.set(
      'MergeChunks',
      Array.from({ length: 1000 }, () => merging),
    );
    await assert.rejects(upload({ retries: 1, mergeWaitMs: 50 }), { code: 'CONFLICT', reason: 'UPLOAD_MERGING' });
    assert.ok((server.replies.get('MergeChunks')?.length ?? 0) > 0, 'it stopped asking once mergeWaitMs had passed');
  });

  test('sends again the chunks a merge finds missing, then merges', async () => {
    server.replies.set('MergeChunks', [
      graphqlError('BAD_USER_INPUT', 'CHUNKS_MISSING', 'Chunk 3 is missing.', { missing: [3] }),
    ]);
    const result = await upload();
    assert.equal(result.sentChunks, 6);
    assert.equal(server.received.filter((i) => i === 3).length, 2);
  });

  test('an instant upload sends nothing; a possession proof hashes the challenged range and asks again', async () => {
    server.proof = { offset: 1234, length: 700 };
    const result = await upload();
    assert.deepEqual([result.instant, result.proved, result.sentChunks], [true, true, 0]);
    assert.deepEqual(server.received, []);
    assert.deepEqual(server.operations, ['uploadStatus', 'checkFile', 'checkFile']);
  });

  test('a chunk refused as damaged whose bytes changed since hashing ends the upload as FILE_CHANGED, and the record is forgotten', async () => {
    const store = new JsonFileResumeStore(join(dir, 'changed.json'));
    // A source whose bytes change under the same name, size and date once hashing is over.
    let current = bytes;
    const source = {
      name: 'file.mp4',
      size: bytes.length,
      lastModified: 1,
      slice: (start?: number, end?: number) => new Blob([new Uint8Array(current.subarray(start, end))]),
    };
    const changed = Buffer.from(bytes);
    changed[2 * CHUNK + 5] ^= 0xff;
    const onProgress = (p: UploadProgress) => {
      if (p.phase === 'uploading') current = changed;
    };
    await assert.rejects(
      uploadFile(source, {
        endpoint: server.url,
        transport: 'multipart',
        retryDelayMs: 1,
        resumeStore: store,
        hasher: inlineHasher,
        concurrency: 1,
        onProgress,
      }),
      (error: unknown) => {
        assert.ok(error instanceof UploadError);
        assert.equal(error.code, 'FILE_CHANGED');
        assert.match(error.message, /Chunk 2 of file\.mp4 no longer has the MD5 it had when hashed/);
        return true;
      },
    );
    assert.deepEqual(server.received, [0, 1, 2], 'the damaged chunk was not sent again');
    assert.deepEqual(await store.all(), {}, 'the MD5s of the old bytes are not kept for a resume');
  });

  test('a file modified on disk after it was opened ends the upload as FILE_CHANGED', async () => {
    const source = await openFile(path);
    const onProgress = (p: UploadProgress) => {
      if (p.phase === 'uploading' && p.sentChunks === 0) {
        writeFileSync(path, randomBytes(bytes.length));
        utimesSync(path, new Date(), new Date(Date.now() + 10_000));
      }
    };
    await assert.rejects(
      uploadFile(source, {
        endpoint: server.url,
        transport: 'multipart',
        resumeStore: null,
        hasher: inlineHasher,
        onProgress,
      }),
      { name: 'UploadError', code: 'FILE_CHANGED' },
    );
    assert.deepEqual(server.received, []);
  });

  test('resumes from the resume store without hashing again, asking uploadStatus which chunks are missing', async () => {
    const store = new JsonFileResumeStore(join(dir, 'resume.json'));
    const hasher = countingHasher();
    server.chunkFailures.set(2, [graphqlError('BAD_USER_INPUT', 'NOT_A_VIDEO', 'stop here')]);
    await assert.rejects(upload({ resumeStore: store, hasher, concurrency: 1 }), { reason: 'NOT_A_VIDEO' });
    assert.equal(hasher.digests, 1);
    const [record] = Object.values(await store.all());
    assert.equal(record.fileMd5, md5(bytes));
    assert.equal(record.chunkMd5s.length, 5);

    server.operations = [];
    const result = await upload({ resumeStore: store, hasher });
    assert.equal(hasher.digests, 1, 'not hashed again');
    assert.deepEqual([result.resumed, result.reusedChunks, result.sentChunks], [true, 2, 3]);
    assert.equal(server.operations[0], 'uploadStatus');
    assert.ok(!server.operations.includes('checkFile'), 'an upload still open is not opened again');
    assert.deepEqual(await store.all(), {}, 'a finished upload is forgotten');
  });

  test('aborting stops at once; with discardOnAbort the server upload is given up and the record forgotten', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(upload({ signal: controller.signal }), { code: 'ABORTED' });
    assert.deepEqual(server.received, []);

    const store = new JsonFileResumeStore(join(dir, 'discard.json'));
    const stopping = new AbortController();
    server.chunkFailures.set(1, ['silent']);
    const onProgress = (p: UploadProgress) => p.sentChunks >= 1 && p.phase === 'uploading' && stopping.abort();
    await assert.rejects(
      upload({ signal: stopping.signal, discardOnAbort: true, resumeStore: store, concurrency: 1, onProgress }),
      { code: 'ABORTED' },
    );
    assert.deepEqual(server.aborted, [md5(bytes)]);
    assert.deepEqual(await store.all(), {});
  });

  describe('with chunk upload URLs', () => {
    test('asks for URLs a batch at a time, as sending goes, and PUTs each chunk to its URL', async () => {
      bytes = randomBytes(12 * CHUNK);
      await writeFile(path, bytes);
      server.reset(bytes, CHUNK);
      const result = await upload({ transport: 'urls', urlBatchSize: 5, concurrency: 2 });
      assert.equal(result.transport, 'urls');
      assert.deepEqual(sorted(server.received), [...Array(12).keys()]);
      // Two senders: which asks first decides the order within a batch (6 may come before 5), not the batches.
      const asked = server.operations
        .filter((op) => op.startsWith('chunkUploadUrls'))
        .map((op) => sorted(op.slice('chunkUploadUrls:'.length).split(',').map(Number)).join(','));
      assert.deepEqual(asked, ['0,1,2,3,4', '5,6,7,8,9', '10,11']);
      assert.ok(!server.operations.includes('uploadChunk'));
    });

    test('a URL the server refuses (403) is asked for again; an expired one is not even tried', async () => {
      server.urlTtlMs = 5_000; // inside the client's margin: every URL counts as expired at once
      await upload({ transport: 'urls', concurrency: 1, urlBatchSize: 3 });
      const asked = server.operations.filter((op) => op.startsWith('chunkUploadUrls'));
      assert.deepEqual(asked, [
        'chunkUploadUrls:0,1,2',
        'chunkUploadUrls:1,2,3',
        'chunkUploadUrls:2,3,4',
        'chunkUploadUrls:3,4',
        'chunkUploadUrls:4',
      ]);

      server.reset(bytes, CHUNK);
      let revoked = false;
      const result = await upload({
        transport: 'urls',
        concurrency: 1,
        onProgress: (p) => {
          // After the first chunk every URL handed out is revoked: the next PUT hears 403 and asks again.
          if (!revoked && p.sentChunks === 1) {
            revoked = true;
            server.revokeUrls();
          }
        },
      });
      assert.equal(result.sentChunks, 5);
      assert.deepEqual(server.received, [0, 1, 1, 2, 3, 4]);
      assert.deepEqual(
        server.operations.filter((op) => op.startsWith('chunkUploadUrls')),
        ['chunkUploadUrls:0,1,2,3,4', 'chunkUploadUrls:1,2,3,4'],
      );
    });

    test('a damaged chunk PUT is sent again; another refusal is final', async () => {
      server.chunkFailures.set(2, [graphqlError('BAD_USER_INPUT', 'CHUNK_CHECKSUM_MISMATCH', 'damaged')]);
      const result = await upload({ transport: 'urls', concurrency: 1 });
      assert.equal(result.sentChunks, 5);
      assert.deepEqual(server.received, [0, 1, 2, 2, 3, 4]);

      server.reset(bytes, CHUNK);
      server.chunkFailures.set(1, [{ status: 413, body: { error: 'Too large.', code: 'PAYLOAD_TOO_LARGE' } }]);
      await assert.rejects(upload({ transport: 'urls', concurrency: 1 }), {
        code: 'PAYLOAD_TOO_LARGE',
        status: 413,
        message: 'Too large.',
      });
    });

    test('a server without chunkUploadUrls gets multipart chunks instead, and the caller is told', async () => {
      server.offersUrls = false;
      const notices: string[] = [];
      const result = await upload({ transport: 'urls', onNotice: (message) => notices.push(message) });
      assert.equal(result.transport, 'multipart');
      assert.equal(server.operations.filter((op) => op === 'uploadChunk').length, 5);
      assert.equal(notices.length, 1);
      assert.match(notices[0], /offers no chunk upload URLs/);
    });
  });
});
