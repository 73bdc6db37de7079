import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { GraphQLFormattedError } from 'graphql';
import { formatGatewayError } from './format-gateway-error';
import { postGraphQL, startGatewayFixture } from './testing/gateway-fixture';

/** A "subgraph" that takes the request and then misbehaves on the socket: resets it, or sends half an answer and closes. */
async function brokenSubgraph(misbehave: (socket: Socket) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => misbehave(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

const misbehaviours: [string, (socket: Socket) => void][] = [
  ['resets the connection', (socket) => socket.resetAndDestroy()],
  [
    'closes the socket mid-response',
    (socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"data":');
      socket.destroy();
    },
  ],
];

for (const [what, misbehave] of misbehaviours) {
  test(`a subgraph that ${what} gives the client an INTERNAL GraphQL error (not a 500 from error reporting), counted once`, async () => {
    const subgraph = await brokenSubgraph(misbehave);
    const fixture = await startGatewayFixture({ MEDIA_URL: subgraph.url });
    try {
      const result = await postGraphQL(fixture.graphql, { query: '{ hello }' });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.deepEqual(
        result.body.errors?.map((error) => error.extensions?.code),
        ['INTERNAL'],
      );
      assert.equal(result.body.data, null);
      const metrics = await (await fetch(`${fixture.origin}/metrics`)).text();
      assert.match(metrics, /graphql_errors_total\{code="INTERNAL",service="gateway"\} 1\n/);
    } finally {
      await fixture.stop();
      subgraph.server.close();
    }
  });
}

test('the error formatter answers INTERNAL rather than throw, whatever it is given', () => {
  const format = formatGatewayError(false);
  const hostile = {
    message: 'x',
    get extensions(): never {
      throw new Error('unreadable');
    },
  } as unknown as GraphQLFormattedError;
  assert.deepEqual(format(hostile, undefined).extensions, { code: 'INTERNAL' });
  assert.deepEqual(format({ message: 'x', extensions: { response: null } }, null).extensions, { code: 'INTERNAL' });
});
