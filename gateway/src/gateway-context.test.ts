import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signToken } from '@learnhub/platform/auth';
import { postGraphQL, startGatewayFixture, TEST_JWT_SECRET, type GatewayFixture } from './testing/gateway-fixture';

const receivedHeaders = '{ receivedHeaders { authorization requestId gatewaySecret } }';
const member = { userId: 'u-1', roles: ['member'] as const, organisationId: '1232141425' };

describe('identity at the gateway', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture();
  });
  after(() => fixture.stop());

  test('public fields need no token', async () => {
    const result = await postGraphQL(fixture.graphql, { query: '{ hello }' });
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { data: { hello: 'world' } });
  });

  const refused: [string, () => Promise<string>, RegExp][] = [
    ['a malformed token', async () => 'Bearer not.a.jwt', /malformed/],
    [
      'an expired token',
      async () => `Bearer ${await signToken({ ...member, expiresIn: '-1m' }, TEST_JWT_SECRET)}`,
      /expired/,
    ],
    [
      'a token signed with another secret',
      async () => `Bearer ${await signToken(member, 'another-secret-'.padEnd(40, 'y'))}`,
      /signature/,
    ],
    ['another scheme than Bearer', async () => 'Basic dXNlcjpwYXNz', /bearer/i],
  ];
  for (const [what, authorization, message] of refused) {
    test(`${what} is refused with 401 UNAUTHENTICATED`, async () => {
      const result = await postGraphQL(
        fixture.graphql,
        { query: '{ hello }' },
        { authorization: await authorization() },
      );
      assert.equal(result.status, 401);
      assert.equal(result.body.data, undefined);
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.match(result.body.errors?.[0]?.message ?? '', message);
    });
  }

  test('a valid token and the request id reach the subgraph, and no gateway secret when none is configured', async () => {
    const authorization = `Bearer ${await signToken(member, TEST_JWT_SECRET)}`;
    const result = await postGraphQL(
      fixture.graphql,
      { query: receivedHeaders },
      { authorization, 'x-request-id': 'req-42' },
    );
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.headers.get('x-request-id'), 'req-42');
    assert.deepEqual(result.body.data, {
      receivedHeaders: { authorization, requestId: 'req-42', gatewaySecret: null },
    });
  });

  test('the gateway makes up a request id when the client sends none and passes that on', async () => {
    const result = await postGraphQL(fixture.graphql, { query: receivedHeaders });
    const requestId = result.headers.get('x-request-id');
    assert.ok(requestId);
    assert.deepEqual(result.body.data, { receivedHeaders: { authorization: null, requestId, gatewaySecret: null } });
  });
});

test('the gateway secret reaches the subgraph when configured', async () => {
  const fixture = await startGatewayFixture({ GATEWAY_SECRET: 'shared-gateway-secret' });
  try {
    const result = await postGraphQL(fixture.graphql, { query: receivedHeaders });
    assert.equal(
      (result.body.data!.receivedHeaders as { gatewaySecret: string }).gatewaySecret,
      'shared-gateway-secret',
    );
  } finally {
    await fixture.stop();
  }
});
