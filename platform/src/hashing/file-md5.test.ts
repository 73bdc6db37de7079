import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { md5OfFile } from './file-md5';

test('md5OfFile hashes a file by streaming, also a byte range', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lh-md5-'));
  try {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const path = join(dir, 'file');
    await writeFile(path, bytes);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
    assert.equal(await md5OfFile(path), md5(bytes));
    assert.equal(await md5OfFile(path, { offset: 10, length: 2000 }), md5(bytes.subarray(10, 2010)));
    assert.equal(
      await md5OfFile(path, { offset: 1024 * 1024 - 5, length: 2 * 1024 * 1024 }),
      md5(bytes.subarray(1024 * 1024 - 5, 3 * 1024 * 1024 - 5)),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
