import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRange } from './byte-range';

const SIZE = 1000;

describe('parseRange', () => {
  test('no header, or an empty one, asks for the whole file', () => {
    assert.deepEqual(parseRange(undefined, SIZE), { kind: 'none' });
    assert.deepEqual(parseRange('', SIZE), { kind: 'none' });
  });

  test('bytes=0-99 is the first hundred bytes', () => {
    assert.deepEqual(parseRange('bytes=0-99', SIZE), { kind: 'range', start: 0, end: 99 });
  });

  test('bytes=100- runs to the last byte', () => {
    assert.deepEqual(parseRange('bytes=100-', SIZE), { kind: 'range', start: 100, end: 999 });
  });

  test('bytes=-10 is the last ten bytes', () => {
    assert.deepEqual(parseRange('bytes=-10', SIZE), { kind: 'range', start: 990, end: 999 });
  });

  test('a suffix longer than the file is the whole file as a range', () => {
    assert.deepEqual(parseRange('bytes=-5000', SIZE), { kind: 'range', start: 0, end: 999 });
  });

  test('an end past the size is clamped to the last byte', () => {
    assert.deepEqual(parseRange('bytes=900-5000', SIZE), { kind: 'range', start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=999-999', SIZE), { kind: 'range', start: 999, end: 999 });
  });

  test('a start at or past the size is unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=1000-', SIZE), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=1000-1005', SIZE), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=5000-', SIZE), { kind: 'unsatisfiable' });
  });

  test('bytes=-0 asks for no bytes and is unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=-0', SIZE), { kind: 'unsatisfiable' });
  });

  test('an empty file satisfies no range', () => {
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-5', 0), { kind: 'unsatisfiable' });
  });

  test('several ranges are answered with the whole file', () => {
    assert.deepEqual(parseRange('bytes=0-99,200-299', SIZE), { kind: 'none' });
    assert.deepEqual(parseRange('bytes=0-0, -1', SIZE), { kind: 'none' });
  });

  test('other units and malformed headers are answered with the whole file', () => {
    for (const header of ['items=0-5', 'bytes 0-99', 'bytes=', 'bytes=-', 'bytes=a-b', 'bytes=1.5-2', '0-99']) {
      assert.deepEqual(parseRange(header, SIZE), { kind: 'none' }, header);
    }
  });
});
