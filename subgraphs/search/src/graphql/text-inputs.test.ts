import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSubgraphAlone, type SubgraphAlone } from '@learnhub/platform/testing';
import { startSearch } from '../server';

/* The text-input rule as the search subgraph applies it: served over HTTP with its embedded SQLite index. */

const SEARCH = 'query($i: CourseSearchInput) { searchCourses(input: $i) { total } }';

describe('search text inputs', () => {
  let search: SubgraphAlone;

  before(async () => {
    search = await startSubgraphAlone(startSearch, { NODE_ENV: 'development' });
  });
  after(() => search?.stop());

  const send = (query: string, variables: object) =>
    search.graphql<{ searchCourses?: { total: number } }>(query, variables);

  test('a searchCourses keyword with U+0001 is refused naming input.keyword', async () => {
    const answer = await send(SEARCH, { i: { keyword: 'java\u0001' } });
    assert.equal(answer.errors?.length, 1, JSON.stringify(answer));
    assert.equal(answer.errors![0].extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(answer.errors![0].extensions?.fields, [
      { field: 'input.keyword', message: 'contains a control character (U+0001): remove it' },
    ]);
  });

  test('a keyword with a tab is refused too (a keyword is one line), and a plain one is answered', async () => {
    const tab = await send(SEARCH, { i: { keyword: 'spring\tboot' } });
    assert.match(tab.errors?.[0]?.message ?? '', /^input\.keyword contains a control character \(U\+0009\)/);
    const plain = await send(SEARCH, { i: { keyword: 'spring boot' } });
    assert.equal(plain.errors, undefined, JSON.stringify(plain.errors));
    assert.equal(plain.data?.searchCourses?.total, 0);
  });
});
