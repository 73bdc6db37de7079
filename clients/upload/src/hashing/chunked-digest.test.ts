import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openFile } from '../node/file-source.js';
import { fileBlocks } from '../node/hash-file-blocks.js';
import { workerThreadHasher } from '../node/worker-thread-hasher.js';
import { ChunkedDigest } from './chunked-digest.js';
import { inlineHasher } from './inline-hasher.js';
import { rangeMd5Of } from './read-and-hash.js';
import { HASH_BLOCK_BYTES } from './source-blocks.js';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
const expected = (bytes: Buffer, chunkSize: number) => ({
  fileMd5: md5(bytes),
  chunkMd5s: Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) =>
    md5(bytes.subarray(i * chunkSize, (i + 1) * chunkSize)),
  ),
  chunkSize,
});

describe('hashing a file and its chunks in one read', () => {
  let dir: string;
  let path: string;
  const bytes = randomBytes(2 * HASH_BLOCK_BYTES + 12_345);
  const signal = new AbortController().signal;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-digest-'));
    path = join(dir, 'video.mp4');
    await writeFile(path, bytes);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('ChunkedDigest gives the MD5 of the whole and of every chunk, whatever the blocks fed to it', async () => {
    for (const chunkSize of [1000, 1024 * 1024, 3 * 1024 * 1024 + 1, bytes.length, bytes.length + 1]) {
      for (const block of [1, 999, 64 * 1024, bytes.length]) {
        if (block === 1 && chunkSize > 1000) continue;
        const digest = await ChunkedDigest.create(chunkSize);
        for (let at = 0; at < bytes.length; at += block) digest.update(bytes.subarray(at, at + block));
        assert.deepEqual(digest.finish(), expected(bytes, chunkSize), `chunks of ${chunkSize}, blocks of ${block}`);
      }
    }
  });

  test('inline and in a worker thread, from a file opened lazily, with progress up to the whole size', async () => {
    const source = await openFile(path);
    for (const hasher of [inlineHasher, workerThreadHasher()]) {
      const seen: number[] = [];
      const digests = await hasher.digest(source, 5 * 1024 * 1024, (hashed) => seen.push(hashed), signal);
      assert.deepEqual(digests, expected(bytes, 5 * 1024 * 1024));
      assert.deepEqual(seen, [HASH_BLOCK_BYTES, 2 * HASH_BLOCK_BYTES, bytes.length]);
      assert.equal(
        await hasher.rangeMd5(source, 4_000_000, 500_000, signal),
        md5(bytes.subarray(4_000_000, 4_500_000)),
      );
    }
  });

  test('worker threads are given up when aborted or when one fails, and a source with no path is hashed inline', async () => {
    const controller = new AbortController();
    const hashing = workerThreadHasher().digest(
      await openFile(path),
      1000,
      () => controller.abort(),
      controller.signal,
    );
    await assert.rejects(hashing, { code: 'ABORTED' });
    // The chunks' thread refuses the chunk size: its failure, not the other thread's ending, is the answer.
    await assert.rejects(
      workerThreadHasher().digest(await openFile(path), 0, () => undefined, signal),
      {
        message: /chunk size 0 is not a positive whole number/,
      },
    );

    const blob = new Blob([bytes]);
    const inMemory = { name: 'x', size: blob.size, lastModified: 0, slice: blob.slice.bind(blob) };
    assert.deepEqual(await workerThreadHasher().digest(inMemory, 4096, () => undefined, signal), expected(bytes, 4096));
  });

  test('Blobs whose stream is no byte stream are read by slices', async () => {
    const blob = new Blob([bytes]);
    const plainStream = (part: Blob) =>
      Object.assign(part, { stream: () => part.slice().stream().pipeThrough(new TransformStream()) });
    const source = {
      name: 'x',
      size: blob.size,
      lastModified: 0,
      slice: (start?: number, end?: number) => plainStream(blob.slice(start, end)),
    };
    assert.deepEqual(
      await inlineHasher.digest(source, 5 * 1024 * 1024, () => undefined, signal),
      expected(bytes, 5 * 1024 * 1024),
    );
    assert.equal(await inlineHasher.rangeMd5(source, 1, bytes.length - 2, signal), md5(bytes.subarray(1, -1)));
  });

  test('a file written over or cut short after it was opened fails its hashing as FILE_CHANGED, however it is read', async () => {
    const changing = join(dir, 'changing.mp4');
    for (const after of [randomBytes(bytes.length), bytes.subarray(0, HASH_BLOCK_BYTES + 1)]) {
      await writeFile(changing, bytes);
      const source = await openFile(changing);
      await writeFile(changing, after);
      await utimes(changing, new Date(), new Date(Date.now() + 10_000));
      const changed = { name: 'UploadError', code: 'FILE_CHANGED' };
      // By the source's own reads, through its Blob's stream alone (as a browser's File), and by path (a hashing thread).
      const blobOnly = { name: source.name, size: source.size, lastModified: source.lastModified, slice: source.slice };
      for (const readAs of [source, blobOnly])
        await assert.rejects(
          inlineHasher.digest(readAs, 5 * 1024 * 1024, () => undefined, signal),
          changed,
        );
      await assert.rejects(rangeMd5Of(source, 0, bytes.length, { blocks: fileBlocks(changing) }), changed);
    }
  });
});
