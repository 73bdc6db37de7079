import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCache } from './create-cache.js';
import { NoCache } from './no-cache.js';
import { RedisCache } from './redis-cache.js';

test('NoCache remembers nothing, never blocks a lock, and needs nothing to be ready', async () => {
  const cache = new NoCache();
  await cache.set('k', 'v', 60);
  assert.equal(await cache.get('k'), undefined);
  await cache.delete('k');
  assert.equal(await cache.setIfAbsent('lock', 'a', 60), true);
  assert.equal(await cache.setIfAbsent('lock', 'b', 60), true);
  assert.equal(await cache.deleteIfEquals('lock', 'anything'), true);
  assert.equal(await cache.writeVersioned('k', 2, 'v', 60), 'uncached');
  assert.equal(await cache.writeVersioned('k', 1, 'v', 60), 'uncached', 'with nothing remembered, no write is stale');
  await cache.ping();
  assert.deepEqual(cache.readiness(), []);
  await cache.close();
});

test('createCache without a Redis URL caches nothing', async () => {
  const cache = createCache({ redisUrl: undefined, redisKeyPrefix: 'unused:', redisTimeoutMs: 100, redisRetryMs: 100 });
  assert.ok(cache instanceof NoCache);
  await cache.close();
});

test('createCache with a Redis URL uses Redis, and /ready checks it', async () => {
  const cache = createCache({
    redisUrl: 'redis://127.0.0.1:1',
    redisKeyPrefix: 'unused:',
    redisTimeoutMs: 100,
    redisRetryMs: 100,
  });
  assert.ok(cache instanceof RedisCache);
  const checks = cache.readiness();
  assert.deepEqual(
    checks.map((check) => check.name),
    ['redis'],
  );
  await assert.rejects(checks[0].check());
  await cache.close();
});
