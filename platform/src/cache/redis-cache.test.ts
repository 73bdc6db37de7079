import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { backendUrl } from '../testing/backends.js';
import { cacheContract } from './cache.contract.js';
import { RedisCache } from './redis-cache.js';

const url = backendUrl('redis', 'RedisCache');
if (url) cacheContract('RedisCache', (keyPrefix) => new RedisCache(url, { keyPrefix }));

/** A local port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return address.port;
}

test('RedisCache rejects calls, without crashing, when Redis is unreachable', async () => {
  const cache = new RedisCache(`redis://127.0.0.1:${await closedPort()}`);
  try {
    await assert.rejects(cache.get('anything'));
    await assert.rejects(cache.setIfAbsent('lock', 'me', 10));
    await assert.rejects(cache.ping());
  } finally {
    await cache.close();
  }
});
