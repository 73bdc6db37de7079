import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postGraphQL, startGatewayFixture, type GatewayFixture } from './testing/gateway-fixture';

describe('operation limits', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture({
      QUERY_MAX_DEPTH: '4',
      QUERY_MAX_ALIASES: '3',
      QUERY_MAX_TOKENS: '60',
      QUERY_MAX_COST: '10',
    });
  });
  after(() => fixture.stop());

  const refused: [string, string, string, RegExp][] = [
    [
      'too deep',
      '{ nested { child { child { child { child { name } } } } } }',
      'MAX_DEPTH',
      /depth limit of 4 exceeded/,
    ],
    ['too many aliases', '{ a: hello b: hello c: hello d: hello }', 'MAX_ALIASES', /Alias limit of 3 exceeded/],
    ['too many tokens', `{ ${'hello '.repeat(60)}}`, 'MAX_TOKENS', /Token limit of 60 exceeded/],
    [
      'too costly',
      '{ nested { name child { name child { name } } } }',
      'MAX_COST',
      /cost limit of 10 exceeded \(found 16\)/,
    ],
  ];
  for (const [what, query, reason, message] of refused) {
    test(`an operation ${what} is refused with BAD_USER_INPUT naming the limit`, async () => {
      const result = await postGraphQL(fixture.graphql, { query });
      assert.equal(result.status, 400);
      const errors = result.body.errors ?? [];
      assert.ok(
        errors.every((error) => error.extensions?.code === 'BAD_USER_INPUT'),
        JSON.stringify(errors),
      );
      const error = errors.find((candidate) => candidate.extensions?.reason === reason);
      assert.match(error?.message ?? '', message);
    });
  }

  test('an operation within every limit runs', async () => {
    const result = await postGraphQL(fixture.graphql, { query: '{ a: hello nested { child { name } } }' });
    assert.deepEqual(result.body, { data: { a: 'world', nested: { child: { name: 'level' } } } });
  });
});

test('field suggestions are hidden in production', async () => {
  const fixture = await startGatewayFixture({ NODE_ENV: 'production' });
  try {
    const result = await postGraphQL(fixture.graphql, { query: '{ helo }' });
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.doesNotMatch(result.body.errors?.[0]?.message ?? '', /hello/);
  } finally {
    await fixture.stop();
  }
});
