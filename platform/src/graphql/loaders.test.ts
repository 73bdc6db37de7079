import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Loaders } from './loaders';

test('keys loaded in one tick become one batch; missing keys load as undefined', async () => {
  const batches: string[][] = [];
  const loaders = new Loaders();
  const load = (key: string) =>
    loaders
      .get('things', async (keys) => {
        batches.push([...keys]);
        return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]));
      })
      .load(key);
  assert.deepEqual(await Promise.all([load('a'), load('b'), load('missing'), load('a')]), ['A', 'B', undefined, 'A']);
  assert.deepEqual(batches, [['a', 'b', 'missing']]);
});
