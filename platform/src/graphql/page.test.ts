import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors';
import { pageRequest } from './page';

test('pages turn into offset and limit, 20 items on page 1 by default', () => {
  assert.deepEqual(pageRequest(undefined, 100), { offset: 0, limit: 20, page: 1, size: 20 });
  assert.deepEqual(pageRequest({ page: 3, size: 50 }, 100), { offset: 100, limit: 50, page: 3, size: 50 });
});

test('out-of-range pages are refused with the field named', () => {
  for (const bad of [
    { page: 0, size: 10 },
    { page: 1, size: 0 },
    { page: 1, size: 101 },
    { page: 1.5, size: 10 },
  ]) {
    assert.throws(
      () => pageRequest(bad, 100),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'BAD_USER_INPUT' &&
        Array.isArray(error.details.fields) &&
        error.details.fields.length === 1,
    );
  }
});
