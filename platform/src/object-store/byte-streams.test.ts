import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { exactLength, unwritten } from './byte-streams';

describe('unwritten', () => {
  const buffers = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fghi')];
  const rest = (written: number) => Buffer.concat(unwritten(buffers, written)).toString();

  test('leaves exactly the bytes a short write did not take, at every cut', () => {
    for (let written = 0; written <= 9; written++)
      assert.equal(rest(written), 'abcdefghi'.slice(written), `after ${written} bytes`);
  });

  test("drops whole buffers at their edges and keeps the caller's array as it was", () => {
    assert.equal(unwritten(buffers, 3).length, 2);
    assert.equal(unwritten(buffers, 5).length, 1);
    assert.deepEqual(unwritten(buffers, 9), []);
    assert.deepEqual(buffers.map(String), ['abc', 'de', 'fghi']);
  });
});

describe('exactLength', () => {
  /** What passes through `exactLength(size)` from `pieces`, and the error it ends with. */
  async function through(pieces: string[], size: number): Promise<{ passed: string; error?: Error }> {
    let passed = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        passed += chunk.toString();
        callback();
      },
    });
    const source = Readable.from(pieces.map((piece) => Buffer.from(piece)));
    const error = await pipeline(source, exactLength(size, 'Body'), sink).then(
      () => undefined,
      (failure: Error) => failure,
    );
    return { passed, error };
  }

  test('passes a body of the declared length on whole', async () => {
    assert.deepEqual(await through(['abc', 'de', 'f'], 6), { passed: 'abcdef', error: undefined });
    assert.deepEqual(await through([], 0), { passed: '', error: undefined });
  });

  test('refuses a longer or shorter body with the size error, never passing its last piece on', async () => {
    const longer = await through(['abc', 'def', 'g'], 6);
    assert.match(String(longer.error), /Body was declared as 6 bytes but the body has at least 7/);
    assert.ok(['', 'abc'].includes(longer.passed), longer.passed);
    const shorter = await through(['abc', 'de'], 6);
    assert.match(String(shorter.error), /Body was declared as 6 bytes but the body has 5;/);
    assert.ok(['', 'abc'].includes(shorter.passed), shorter.passed);
  });
});
