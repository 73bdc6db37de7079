import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSubgraphAlone, type SubgraphAlone } from '@learnhub/platform/testing';
import { startMedia } from '../server';

/* The text-input rule as the media subgraph applies it: served over HTTP with its own SQLite database. */

const LIST = 'query($f: MediaFilter) { mediaFiles(filter: $f) { total } }';

describe('media text inputs', () => {
  let media: SubgraphAlone;

  before(async () => {
    media = await startSubgraphAlone(startMedia, { NODE_ENV: 'development' });
  });
  after(() => media?.stop());

  const send = (query: string, variables: object) =>
    media.graphql<{ mediaFiles?: { total: number } }>(query, variables, {
      userId: 'u-text',
      roles: ['member'],
      organisationId: 'org-text',
    });

  test('a mediaFiles filter name with a NUL is refused naming filter.name', async () => {
    const answer = await send(LIST, { f: { name: 'lesson\u0000.mp4' } });
    assert.equal(answer.errors?.length, 1, JSON.stringify(answer));
    assert.equal(answer.errors![0].extensions?.code, 'BAD_USER_INPUT');
    assert.equal(answer.errors![0].message, 'filter.name contains a control character (U+0000): remove it.');
    assert.deepEqual(answer.errors![0].extensions?.fields, [
      { field: 'filter.name', message: 'contains a control character (U+0000): remove it' },
    ]);
  });

  test('the same filter without the NUL is answered', async () => {
    const answer = await send(LIST, { f: { name: 'lesson.mp4' } });
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.equal(answer.data?.mediaFiles?.total, 0);
  });
});
