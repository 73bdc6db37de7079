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

test('waitUntil fails after its deadline naming what it waited for, with the details', async () => {
  let asked = 0;
  await assert.rejects(
    waitUntil(
      'the queue to drain',
      async () => {
        asked++;
        return false;
      },
      100,
      async () => 'queue: a, b',
      10,
    ),
    { message: 'Timed out after 100 ms waiting for the queue to drain\nqueue: a, b' },
  );
  assert.ok(asked > 1, 'it asked again before giving up');
});

test('a check that throws ends the wait with its error at once', async () => {
  let asked = 0;
  const gaveUp = new Error('the worker exited');
  await assert.rejects(
    waitUntil(
      'a line from the worker',
      () => {
        asked++;
        if (asked === 2) throw gaveUp;
        return undefined;
      },
      10_000,
      undefined,
      1,
    ),
    (error) => error === gaveUp,
  );
  assert.equal(asked, 2);
});
