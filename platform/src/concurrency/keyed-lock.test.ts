import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { KeyedLock, LockWaitTimeout } from './keyed-lock';

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
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
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

  /** Work that runs until `finish` is called: a holder whose client went silent. */
  function held() {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    return { work: () => finished, finish };
  }

  test('a caller waiting past its limit gives up with LockWaitTimeout, and callers behind it still wait for the holder', async () => {
    const lock = new KeyedLock();
    const holder = held();
    const events: string[] = [];
    const holding = lock.run('k', async () => {
      await holder.work();
      events.push('holder done');
    });
    const impatient = lock.run('k', async () => events.push('impatient ran'), { waitMs: 20 });
    const patient = lock.run('k', async () => events.push('patient ran'));
    await assert.rejects(impatient, (error: unknown) => {
      assert.ok(error instanceof LockWaitTimeout);
      assert.equal(error.key, 'k');
      assert.equal(error.waitMs, 20);
      return true;
    });
    // Time in which the patient one would run, were it not still waiting for the holder.
    await sleep(50);
    assert.deepEqual(events, [], 'the one behind the caller that gave up still waits for the holder');
    holder.finish();
    await Promise.all([holding, patient]);
    assert.deepEqual(events, ['holder done', 'patient ran']);
    assert.equal(lock.size, 0);
  });

  test('a caller whose signal aborts stops waiting at once with its reason; the waiters gauge counts who waits', async () => {
    const lock = new KeyedLock();
    const holder = held();
    let waiting = 0;
    const waiters = { inc: () => void waiting++, dec: () => void waiting-- };
    const holding = lock.run('k', holder.work);
    const client = new AbortController();
    const leaving = lock.run('k', async () => 'ran', { waitMs: 60_000, signal: client.signal, waiters });
    const staying = lock.run('k', async () => 'ran', { waitMs: 60_000, waiters });
    assert.equal(waiting, 2);
    client.abort(new Error('the client went away'));
    await assert.rejects(leaving, /the client went away/);
    assert.equal(waiting, 1);
    holder.finish();
    assert.equal(await staying, 'ran');
    await holding;
    assert.equal(waiting, 0);
    assert.equal(lock.size, 0);
    const gone = AbortSignal.abort(new Error('already gone'));
    await assert.rejects(
      lock.run('k', async () => 'ran', { signal: gone }),
      /already gone/,
    );
  });

  test('an uncontended key runs at once, whatever the limit', async () => {
    const lock = new KeyedLock();
    assert.equal(await lock.run('free', async () => 'ran', { waitMs: 0 }), 'ran');
  });
});
