import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readRange } from '../upload-source.js';
import { openFile } from './file-source.js';

describe('openFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-file-source-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const fileOf = async (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  test('reads any range straight from disk, the same bytes as its Blob slices', async () => {
    const bytes = randomBytes(300_000);
    const source = await openFile(await fileOf('a.bin', bytes), { name: 'lecture.mp4' });
    assert.equal(source.name, 'lecture.mp4');
    assert.equal(source.size, bytes.length);
    for (const [start, end] of [
      [0, 100_000],
      [123_457, 300_000],
      [299_999, 300_000],
    ]) {
      assert.ok(Buffer.from(await readRange(source, start, end)).equals(bytes.subarray(start, end)));
      assert.ok(Buffer.from(await source.slice(start, end).arrayBuffer()).equals(bytes.subarray(start, end)));
    }
  });

  test('a file modified, shortened or deleted after it was opened reads as FILE_CHANGED', async () => {
    const bytes = randomBytes(10_000);
    const modified = await openFile(await fileOf('m.bin', bytes));
    await writeFile(modified.path, randomBytes(10_000));
    await utimes(modified.path, new Date(), new Date(Date.now() + 10_000));
    await assert.rejects(readRange(modified, 0, 10), { name: 'UploadError', code: 'FILE_CHANGED' });

    const shortened = await openFile(await fileOf('s.bin', bytes));
    await truncate(shortened.path, 5_000);
    await assert.rejects(readRange(shortened, 4_000, 6_000), { name: 'UploadError', code: 'FILE_CHANGED' });

    const deleted = await openFile(await fileOf('d.bin', bytes));
    await unlink(deleted.path);
    await assert.rejects(readRange(deleted, 0, 10), { name: 'UploadError', code: 'FILE_CHANGED' });
  });
});
