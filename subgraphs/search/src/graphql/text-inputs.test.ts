import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readConfig } from '@learnhub/platform/config';
import type { RunningSubgraph } from '@learnhub/platform/graphql/subgraph-server';
import { createLogger } from '@learnhub/platform/logger';
import { startSearch } from '../server';

/* The text-input rule as the search subgraph applies it: served over HTTP with its embedded SQLite index. */

const SEARCH = 'query($i: CourseSearchInput) { searchCourses(input: $i) { total } }';

interface Answer {
  data?: { searchCourses?: { total: number } } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('search text inputs', () => {
  let dataDir: string;
  let search: RunningSubgraph;
  let gatewaySecret: string | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lh-search-text-'));
    const config = readConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, AUTH_JWT_SECRET: 'a-search-test-secret-of-at-least-32-characters' });
    gatewaySecret = config.gatewaySecret;
    search = await startSearch(config, createLogger('search-test', 'silent'), 0);
  });
  after(async () => {
    await search?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function send(query: string, variables: object): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (gatewaySecret) headers['x-gateway-secret'] = gatewaySecret;
    const response = await fetch(`http://127.0.0.1:${search.port}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(10_000) });
    return (await response.json()) as Answer;
  }

  test('a searchCourses keyword with U+0001 is refused naming input.keyword', async () => {
    const answer = await send(SEARCH, { i: { keyword: 'java\u0001' } });
    assert.equal(answer.errors?.length, 1, JSON.stringify(answer));
    assert.equal(answer.errors![0].extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(answer.errors![0].extensions?.fields, [{ field: 'input.keyword', message: 'contains a control character (U+0001): remove it' }]);
  });

  test('a keyword with a tab is refused too (a keyword is one line), and a plain one is answered', async () => {
    const tab = await send(SEARCH, { i: { keyword: 'spring\tboot' } });
    assert.match(tab.errors?.[0]?.message ?? '', /^input\.keyword contains a control character \(U\+0009\)/);
    const plain = await send(SEARCH, { i: { keyword: 'spring boot' } });
    assert.equal(plain.errors, undefined, JSON.stringify(plain.errors));
    assert.equal(plain.data?.searchCourses?.total, 0);
  });
});
