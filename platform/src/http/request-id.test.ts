import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { requestIdOf } from './request-id';

const request = (id?: string | string[]) =>
  ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;

test('a sane incoming request id is kept, anything else replaced by a fresh UUID', () => {
  assert.equal(requestIdOf(request('abc-123_x:y.z')), 'abc-123_x:y.z');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  assert.match(requestIdOf(request()), uuid);
  assert.match(requestIdOf(request('has spaces')), uuid);
  assert.match(requestIdOf(request('x'.repeat(129))), uuid);
  assert.match(requestIdOf(request('line\nbreak')), uuid);
  assert.equal(requestIdOf(request(['first', 'second'])), 'first');
});
