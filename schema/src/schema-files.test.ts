import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeSchema, staleFiles } from './compose';

test('the subgraph SDLs compose without errors and the checked-in files are current', async () => {
  const composed = await composeSchema();
  assert.deepEqual(
    await staleFiles(composed),
    [],
    'schema files are stale: run `npm run schema` and commit the result',
  );
});
