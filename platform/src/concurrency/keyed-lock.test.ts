import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { KeyedLock } from './keyed-lock';

describe('KeyedLock', () => {
  test('runs work under one key one at a time, in order, through failures', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const job = (name: string, fail = false) =>
      lock.run('k', async () => {
        events.push(`${name} start`);
        await sleep(5);
        events.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(lock.size, 0);
  });

  test('runs work under different keys at the same time', async () => {
    const lock = new KeyedLock();
    let running = 0;
    let most = 0;
    await Promise.all(
      ['x', 'y', 'z'].map((key) =>
        lock.run(key, async () => {
          most = Math.max(most, ++running);
          await sleep(5);
          running--;
        }),
      ),
    );
    assert.equal(most, 3);
  });
});
