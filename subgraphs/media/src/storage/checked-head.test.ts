import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { withCheckedHead } from './checked-head';

async function read(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const pieces = (bytes: Buffer, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)),
  );

describe('withCheckedHead', () => {
  test('checks exactly the first bytes, however the source is cut, and passes every byte on', async () => {
    const bytes = randomBytes(100_000);
    for (const size of [1, 7, 4100, 65_536, 100_000]) {
      const heads: Buffer[] = [];
      const out = await read(withCheckedHead(pieces(bytes, size), 4100, (head) => heads.push(Buffer.from(head))));
      assert.deepEqual(out, bytes, `pieces of ${size}`);
      assert.deepEqual(heads, [bytes.subarray(0, 4100)], `pieces of ${size}`);
    }
  });

  test('checks the whole of a source shorter than the head', async () => {
    const heads: Buffer[] = [];
    const out = await read(
      withCheckedHead(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 4100, (head) => heads.push(head)),
    );
    assert.equal(out.toString(), 'abc');
    assert.deepEqual(heads.map(String), ['abc']);
  });

  test("a refused head fails the stream with the check's error before any byte is passed on", async () => {
    const passed: Buffer[] = [];
    const stream = withCheckedHead(pieces(randomBytes(50_000), 1000), 4100, () => {
      throw new Error('not a video');
    });
    stream.on('data', (part: Buffer) => passed.push(part));
    await assert.rejects(
      new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject)),
      /not a video/,
    );
    assert.equal(passed.length, 0);
  });
});
