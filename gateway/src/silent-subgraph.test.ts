import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
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
  const media = await standIn((_req, res) =>
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': file.length }).end(file),
  );
  const fixture = await startGatewayFixture({ MEDIA_URL: media.url, SUBGRAPH_TIMEOUT_SECONDS: '1' });
  const client = connect(fixture.gateway.port, '127.0.0.1');
  try {
    // The file waits in the buffers meanwhile.
    await askForFileReadingNothing(client, 3_000);
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
    await media.close();
  }
});

/** Everything `client` receives until it closes, or what came before `ms` passed. */
/** Asks for a large file and reads none of it for `ms` (three subgraph timeouts in these tests). */
async function askForFileReadingNothing(client: Socket, ms: number): Promise<void> {
  await once(client, 'connect');
  client.pause();
  client.write('GET /files/video/big.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function receivedWithin(client: Socket, ms: number): Promise<{ closed: boolean; received: Buffer }> {
  const parts: Buffer[] = [];
  client.on('data', (part: Buffer) => parts.push(part));
  client.resume();
  const closed = await Promise.race([
    once(client, 'close').then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);
  return { closed, received: Buffer.concat(parts) };
}

/** A media stand-in on a free port, answering with `handler`. */
async function standIn(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const media = createServer(handler);
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(media.address() as AddressInfo).port}/graphql`,
    close: async () => {
      media.closeAllConnections();
      await new Promise<void>((resolve) => media.close(() => resolve()));
    },
  };
}

test('a file service that goes silent after a client was slow to read is still cut off', {
  timeout: 60_000,
}, async () => {
  const half = randomBytes(16 * MiB);
  // Half of the file, then nothing more, and the response never ends.
  const media = await standIn((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 2 * half.length }).write(half);
  });
  const fixture = await startGatewayFixture({ MEDIA_URL: media.url, SUBGRAPH_TIMEOUT_SECONDS: '1' });
  const client = connect(fixture.gateway.port, '127.0.0.1');
  try {
    // Then media's silence is the only one left.
    await askForFileReadingNothing(client, 3_000);
    const { closed, received } = await receivedWithin(client, 20_000);
    assert.ok(closed, 'the gateway never cut off the silent file service');
    assert.ok(received.length < 2 * half.length, 'the response cannot have been whole');
  } finally {
    client.destroy();
    await fixture.stop();
    await media.close();
  }
});

test('a media service that takes a chunk slowly sent and then never answers gets a 504', {
  timeout: 60_000,
}, async () => {
  // Takes every byte, answers nothing.
  const media = await standIn((req) => req.resume());
  const fixture = await startGatewayFixture({ MEDIA_URL: media.url, SUBGRAPH_TIMEOUT_SECONDS: '1' });
  const client = connect(fixture.gateway.port, '127.0.0.1');
  try {
    await once(client, 'connect');
    const chunk = randomBytes(2 * MiB);
    client.write(
      `PUT /uploads/some-token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${chunk.length}\r\n\r\n`,
    );
    client.write(chunk.subarray(0, MiB));
    // The client sends nothing for three subgraph timeouts, then the rest.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    client.write(chunk.subarray(MiB));
    const { closed, received } = await receivedWithin(client, 20_000);
    assert.ok(closed, 'the gateway never gave up on the silent media service');
    assert.match(received.toString('latin1'), /^HTTP\/1\.1 504 [\s\S]*"reason":"SUBGRAPH_TIMEOUT"/);
  } finally {
    client.destroy();
    await fixture.stop();
    await media.close();
  }
});
