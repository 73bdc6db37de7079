import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TcpProxy } from '@learnhub/platform/testing';
import {
  postGraphQL,
  postMultipart,
  startGatewayFixture,
  type GatewayFixture,
  type GraphQLResult,
} from './testing/gateway-fixture';

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
    fixture = await startGatewayFixture({
      MEDIA_URL: silent.url('http') + '/graphql',
      SUBGRAPH_TIMEOUT_SECONDS: '1',
      UPLOAD_MAX_BYTES: String(32 * MiB),
    });
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
    assert.deepEqual(await response.json(), {
      error: 'The file service did not answer within 1 s: try again shortly.',
    });
  });
});

test('a client slow to read a large file is not taken for a silent file service', { timeout: 60_000 }, async () => {
  const file = randomBytes(32 * MiB);
  const media = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': file.length }).end(file),
  );
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  const fixture = await startGatewayFixture({
    MEDIA_URL: `http://127.0.0.1:${(media.address() as AddressInfo).port}/graphql`,
    SUBGRAPH_TIMEOUT_SECONDS: '1',
  });
  const client = connect(fixture.gateway.port, '127.0.0.1');
  try {
    await once(client, 'connect');
    client.pause();
    client.write('GET /files/video/big.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    // The client reads nothing for three subgraph timeouts: the file waits in the buffers meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const parts: Buffer[] = [];
    client.on('data', (part: Buffer) => parts.push(part));
    client.resume();
    await once(client, 'close');
    const received = Buffer.concat(parts);
    const body = received.subarray(received.indexOf('\r\n\r\n') + 4);
    assert.match(received.subarray(0, 20).toString('latin1'), /^HTTP\/1\.1 200 /);
    assert.equal(body.length, file.length);
    assert.equal(createHash('md5').update(body).digest('hex'), createHash('md5').update(file).digest('hex'));
  } finally {
    client.destroy();
    await fixture.stop();
    media.closeAllConnections();
    await new Promise<void>((resolve) => media.close(() => resolve()));
  }
});
