import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Cache } from './cache.js';

/**
 * The behaviour every real cache adapter must show. `open` is called with a key prefix unique
 * to this run, so runs sharing one server never see each other's keys.
 */
export function cacheContract(name: string, open: (keyPrefix: string) => Cache): void {
  describe(`${name} cache contract`, () => {
    const run = `contract:${randomUUID()}:`;
    let cache: Cache;
    let other: Cache;
    const written = new Set<string>();
    const key = (label: string) => {
      written.add(label);
      return label;
    };

    before(async () => {
      cache = open(`${run}a:`);
      other = open(`${run}b:`);
      await cache.ping();
    });

    after(async () => {
      await Promise.all([...written].flatMap((k) => [cache.delete(k), other.delete(k)]));
      await Promise.all([cache.close(), other.close()]);
    });

    test('answers ping, and so does its readiness check', async () => {
      await cache.ping();
      const checks = cache.readiness();
      assert.ok(checks.length > 0, 'a cache with a server has a readiness check');
      for (const check of checks) await check.check();
    });

    test('get answers undefined for a missing key and the value after set', async () => {
      const k = key('plain');
      assert.equal(await cache.get(k), undefined);
      await cache.set(k, 'first', 60);
      assert.equal(await cache.get(k), 'first');
      await cache.set(k, 'second', 60);
      assert.equal(await cache.get(k), 'second');
    });

    test('set and setIfAbsent entries expire after their ttl', async () => {
      const viaSet = key('expiring-set');
      const viaSetIfAbsent = key('expiring-lock');
      await cache.set(viaSet, 'v', 1);
      assert.equal(await cache.setIfAbsent(viaSetIfAbsent, 'v', 1), true);
      assert.equal(await cache.get(viaSet), 'v');
      // Lets the 1 s ttl run out.
      await sleep(1200);
      assert.equal(await cache.get(viaSet), undefined);
      assert.equal(await cache.get(viaSetIfAbsent), undefined);
    });

    test('writeVersioned keeps the newest version: older writes and deletes are stale, equal ones apply', async () => {
      const k = key('versioned');
      written.add(`${k}#version`);
      assert.equal(await cache.writeVersioned(k, 2, 'v2', 60), 'applied');
      assert.equal(await cache.writeVersioned(k, 1, 'v1', 60), 'stale');
      assert.equal(await cache.get(k), 'v2');
      assert.equal(await cache.writeVersioned(k, 2, 'v2 again', 60), 'applied');
      assert.equal(await cache.writeVersioned(k, 3, undefined, 60), 'applied');
      assert.equal(await cache.get(k), undefined, 'a versioned delete removes the entry');
      assert.equal(
        await cache.writeVersioned(k, 2, 'late v2', 60),
        'stale',
        'the deleted version still fences older writers',
      );
      assert.equal(await cache.get(k), undefined);
      assert.equal(await cache.writeVersioned(k, 4, 'v4', 1), 'applied');
      // Lets the 1 s ttl run out.
      await sleep(1200);
      assert.equal(await cache.get(k), undefined, 'the entry expires');
      assert.equal(await cache.writeVersioned(k, 3, 'v3', 60), 'stale', 'the fence outlives the expired entry');
    });

    test('delete removes a key, and deleting a missing key is fine', async () => {
      const k = key('deleted');
      await cache.set(k, 'v', 60);
      await cache.delete(k);
      assert.equal(await cache.get(k), undefined);
      await cache.delete(k);
    });

    test('setIfAbsent lets exactly one of ten concurrent callers win', async () => {
      const k = key('lock');
      const callers = Array.from({ length: 10 }, (_, i) => `caller-${i}`);
      const results = await Promise.all(callers.map((caller) => cache.setIfAbsent(k, caller, 60)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await cache.get(k), callers[results.indexOf(true)]);
      assert.equal(await cache.setIfAbsent(k, 'late', 60), false);
    });

    test('deleteIfEquals deletes only while the key holds the given value', async () => {
      const k = key('owned-lock');
      await cache.set(k, 'mine', 60);
      assert.equal(await cache.deleteIfEquals(k, 'theirs'), false);
      assert.equal(await cache.get(k), 'mine');
      assert.equal(await cache.deleteIfEquals(k, 'mine'), true);
      assert.equal(await cache.get(k), undefined);
      assert.equal(await cache.deleteIfEquals(k, 'mine'), false);
    });

    test('caches with different prefixes do not see each other’s keys', async () => {
      const k = key('shared-name');
      await cache.set(k, 'from-a', 60);
      assert.equal(await other.get(k), undefined);
      assert.equal(await other.deleteIfEquals(k, 'from-a'), false);
      await other.delete(k);
      assert.equal(await other.setIfAbsent(k, 'from-b', 60), true);
      assert.equal(await cache.get(k), 'from-a');
      assert.equal(await other.get(k), 'from-b');
    });

    test('keys and values keep their unicode text', async () => {
      const k = key('clé-🔑-日本');
      const value = 'Grüße 👋 — 日本語の講座 — \u0000 nul and emoji 🧑🏽‍💻';
      await cache.set(k, value, 60);
      assert.equal(await cache.get(k), value);
      assert.equal(await cache.deleteIfEquals(k, value), true);
    });
  });
}
