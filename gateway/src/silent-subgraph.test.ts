import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TcpProxy } from '@learnhub/platform/testing/tcp-proxy';
import { postGraphQL, postMultipart, startGatewayFixture, type GatewayFixture, type GraphQLResult } from './testing/gateway-fixture';

/*
 * The gateway in front of a media subgraph that went silent: its port accepts connections, then
 * neither reads nor answers (a blackholed TCP proxy). Every call there ends within
 * SUBGRAPH_TIMEOUT_SECONDS with a coded answer; the test's own requests have a 60 s deadline.
 */

const MiB = 1024 * 1024;

describe('a silent subgraph', () => {
  let silent: TcpProxy;
  let fixture: GatewayFixture;
  before(async () => {
    // Where it would forward to does not matter: nothing gets through.
    silent = await TcpProxy.start({ host: '127.0.0.1', port: 9 });
    await silent.blackhole();
    fixture = await startGatewayFixture({ MEDIA_URL: silent.url('http') + '/graphql', SUBGRAPH_TIMEOUT_SECONDS: '1', UPLOAD_MAX_BYTES: String(32 * MiB) });
  });
  after(async () => {
    await silent.close();
    await fixture.stop();
  });

  const timedOut = (result: GraphQLResult) => {
    assert.equal(result.body.errors?.length, 1, JSON.stringify(result.body));
    const [error] = result.body.errors!;
    assert.deepEqual(error.extensions, { code: 'INTERNAL', reason: 'SUBGRAPH_TIMEOUT' });
    assert.match(error.message, /^The media service did not answer within 1 s/);
  };

  test('an operation it never answers gets INTERNAL, reason SUBGRAPH_TIMEOUT, naming the service', async () => {
    timedOut(await postGraphQL(fixture.graphql, { query: '{ hello }' }));
  });

  test('an upload it stops taking gets INTERNAL, reason SUBGRAPH_TIMEOUT, and the client is answered', async () => {
    const result = await postMultipart(
      fixture.graphql,
      { query: 'mutation ($file: Upload!) { digest(file: $file) { md5 } }', variables: { file: null } },
      [{ blob: new Blob([randomBytes(16 * MiB)]), filename: 'big.bin', paths: ['variables.file'] }],
    );
    timedOut(result);
  });

  test('a file it never serves is answered 504 with a JSON error', async () => {
    const response = await fetch(`${fixture.origin}/files/video/a/b/c.mp4`, { signal: AbortSignal.timeout(60_000) });
    assert.equal(response.status, 504);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(await response.json(), { error: 'The file service did not answer within 1 s: try again shortly.' });
  });
});
