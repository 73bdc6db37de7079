import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { backendUrl } from '../testing/backends.js';
import { waitUntil } from '../testing/wait-until.js';
import { CacheUnavailableError } from './cache-unavailable-error.js';
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

if (url) {
  for (const fault of ['refuse', 'blackhole'] as const) {
    test(`RedisCache behind a ${fault === 'refuse' ? 'closed port' : 'silent network'}: calls fail within the deadline, then at once, and it recovers by itself`, async () => {
      const proxy = await TcpProxy.start(url);
      const keyPrefix = `fault-${process.pid}-${fault}:`;
      const cache = new RedisCache(proxy.url(), { keyPrefix, timeoutMs: 300, retryMs: 200 });
      try {
        await cache.set('k', 'before', 60);
        await proxy[fault]();
        // Three outages open the circuit; each is bounded by the deadline, not by ioredis's retries.
        for (let i = 0; i < 3; i++) await assert.rejects(cache.get('k'), CacheUnavailableError);
        await assert.rejects(
          cache.get('k'),
          (error: CacheUnavailableError) =>
            error.code === 'CACHE_UNAVAILABLE' &&
            error.retryInMs === 200 &&
            (error.cause as { code?: string }).code === 'CIRCUIT_OPEN' &&
            /Redis is unreachable/.test(error.message),
        );
        await assert.rejects(cache.ping(), /Redis is unreachable|did not answer/);

        await proxy.restore();
        await waitUntil(
          'the cache to answer a ping again',
          () =>
            cache.ping().then(
              () => true,
              () => false,
            ),
          10_000,
        );
        assert.equal(await cache.get('k'), 'before');
        await cache.set('k', 'after', 60);
        assert.equal(await cache.get('k'), 'after');
        await cache.delete('k');
      } finally {
        await cache.close();
        await proxy.close();
      }
    });
  }
}
