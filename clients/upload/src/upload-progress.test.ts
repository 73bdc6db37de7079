import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressTracker, SlidingRate, type UploadProgress } from './upload-progress.js';

test('the rate is measured over a sliding window, keeping one sample before it as its base', () => {
  let now = 0;
  const rate = new SlidingRate(10_000, () => now);
  rate.reset(0);
  assert.equal(rate.bytesPerSecond(), 0);
  now = 1_000;
  rate.record(1_000);
  assert.equal(rate.bytesPerSecond(), 1_000);
  // A fast stretch long ago is forgotten once the window has slid past it.
  for (const [at, bytes] of [
    [2_000, 101_000],
    [20_000, 102_000],
    [25_000, 107_000],
  ]) {
    now = at;
    rate.record(bytes);
  }
  assert.equal(rate.bytesPerSecond(), (107_000 - 101_000) / 23, 'from the last sample before the window');
  now = 40_000;
  rate.record(107_000);
  assert.equal(rate.bytesPerSecond(), 0, 'nothing moved within the window');
});

test('progress counts chunks already on the server as sent, and gives an ETA for the rest at the current rate', () => {
  let now = 0;
  const seen: UploadProgress[] = [];
  const tracker = new ProgressTracker(
    10_000,
    (p) => seen.push(p),
    10_000,
    () => now,
  );
  now = 1_000;
  tracker.hashing(10_000);
  assert.equal(seen.at(-1)?.bytesPerSecond, 10_000);
  tracker.uploading(10, 4, 4_000);
  assert.deepEqual(
    { phase: seen.at(-1)?.phase, sent: seen.at(-1)?.sentBytes, eta: seen.at(-1)?.etaSeconds },
    { phase: 'uploading', sent: 4_000, eta: undefined },
  );
  now = 3_000;
  tracker.chunkSent(1_000);
  tracker.chunkSent(1_000);
  assert.equal(seen.at(-1)?.bytesPerSecond, 1_000, 'only bytes moved now count for the rate');
  assert.equal(seen.at(-1)?.etaSeconds, 4);
  tracker.merging();
  tracker.done(10);
  assert.deepEqual(
    seen.map((p) => p.phase),
    ['hashing', 'uploading', 'uploading', 'uploading', 'merging', 'done'],
  );
  assert.equal(seen.at(-1)?.sentChunks, 10);
});
