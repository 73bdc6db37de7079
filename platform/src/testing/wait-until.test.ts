import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from './wait-until';

test('waitUntil returns the first answer that is not undefined, null or false, asking no more after it', async () => {
  const answers = [undefined, null, false, 0, 7];
  let asked = 0;
  const value = await waitUntil('a ready answer', () => answers[asked++], 10_000, undefined, 1);
  assert.equal(value, 0, 'zero is an answer');
  assert.equal(asked, 4);
});

test('waitUntil takes a check that throws as not ready yet', async () => {
  let asked = 0;
  const value = await waitUntil(
    'the third try',
    async () => {
      asked++;
      assert.ok(asked >= 3, `only ${asked} tries`);
      return 'third';
    },
    10_000,
    undefined,
    1,
  );
  assert.equal(value, 'third');
});

test('waitUntil fails after its deadline naming what it waited for, the last failure and the details', async () => {
  let asked = 0;
  await assert.rejects(
    waitUntil(
      'the queue to drain',
      () => {
        asked++;
        throw new Error(`still ${asked} queued`);
      },
      100,
      async () => 'queue: a, b',
      10,
    ),
    (error: Error) => {
      assert.match(error.message, /^Timed out after 100 ms waiting for the queue to drain; last: still \d+ queued\nqueue: a, b$/);
      assert.ok(error.cause instanceof Error);
      return true;
    },
  );
  assert.ok(asked > 1, 'it asked again before giving up');
});

test('waitUntil says nothing of a last failure when the check only answered not yet', async () => {
  await assert.rejects(waitUntil('never', () => false, 20, undefined, 5), { message: 'Timed out after 20 ms waiting for never' });
});
