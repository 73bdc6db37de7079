import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { unwritten } from './byte-streams';

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
