import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '@learnhub/platform/config';
import { digestSupergraph } from './testing/digest-subgraph';
import { subgraphNames, subgraphUrls } from './subgraph-urls';

const config = readConfig({
  NODE_ENV: 'test',
  MEDIA_URL: 'http://media.internal:4002/graphql',
  SEARCH_URL: 'http://search.internal:4003/graphql',
});

test('subgraph URLs come from configuration by name, not from the supergraph', () => {
  assert.deepEqual(
    [...subgraphUrls(digestSupergraph('media'), config)],
    [['media', 'http://media.internal:4002/graphql']],
  );
  assert.deepEqual(
    [...subgraphUrls(digestSupergraph('search'), config)],
    [['search', 'http://search.internal:4003/graphql']],
  );
});

test('a subgraph the gateway does not know stops start-up with its name', () => {
  assert.deepEqual(subgraphNames(digestSupergraph('billing')), ['billing']);
  assert.throws(
    () => subgraphUrls(digestSupergraph('billing'), config),
    /subgraph "billing" the gateway does not know; known subgraphs: content, media, search/,
  );
});
