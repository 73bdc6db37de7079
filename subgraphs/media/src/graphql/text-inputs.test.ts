import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signToken } from '@learnhub/platform/auth/token';
import { readConfig } from '@learnhub/platform/config';
import type { RunningSubgraph } from '@learnhub/platform/graphql/subgraph-server';
import { createLogger } from '@learnhub/platform/logger';
import { startMedia } from '../server';

/* The text-input rule as the media subgraph applies it: served over HTTP with its own SQLite database. */

const SECRET = 'a-media-test-secret-of-at-least-32-characters';
const LIST = 'query($f: MediaFilter) { mediaFiles(filter: $f) { total } }';

interface Answer {
  data?: { mediaFiles?: { total: number } } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('media text inputs', () => {
  let dataDir: string;
  let media: RunningSubgraph;
  let gatewaySecret: string | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lh-media-text-'));
    const config = readConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET });
    gatewaySecret = config.gatewaySecret;
    media = await startMedia(config, createLogger('media-test', 'silent'), 0);
  });
  after(async () => {
    await media?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function send(query: string, variables: object): Promise<Answer> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${await signToken({ userId: 'u-text', roles: ['member'], organisationId: 'org-text' }, SECRET)}`,
    };
    if (gatewaySecret) headers['x-gateway-secret'] = gatewaySecret;
    const response = await fetch(`http://127.0.0.1:${media.port}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(10_000) });
    return (await response.json()) as Answer;
  }

  test('a mediaFiles filter name with a NUL is refused naming filter.name', async () => {
    const answer = await send(LIST, { f: { name: 'lesson\u0000.mp4' } });
    assert.equal(answer.errors?.length, 1, JSON.stringify(answer));
    assert.equal(answer.errors![0].extensions?.code, 'BAD_USER_INPUT');
    assert.equal(answer.errors![0].message, 'filter.name contains a control character (U+0000): remove it.');
    assert.deepEqual(answer.errors![0].extensions?.fields, [{ field: 'filter.name', message: 'contains a control character (U+0000): remove it' }]);
  });

  test('the same filter without the NUL is answered', async () => {
    const answer = await send(LIST, { f: { name: 'lesson.mp4' } });
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.equal(answer.data?.mediaFiles?.total, 0);
  });
});
