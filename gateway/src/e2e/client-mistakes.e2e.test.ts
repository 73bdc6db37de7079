import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { graphql, PlatformStack } from './platform-stack';

const MD5 = '0123456789abcdef0123456789abcdef';

describe('client mistakes through the gateway are BAD_USER_INPUT, never INTERNAL', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let member: string;

  before(async () => {
    stack = await PlatformStack.start();
    member = await stack.token('alice', ['member'], 'org-mistakes');
  });
  after(() => stack.stop());

  async function assertRefused(
    request: { query: string; variables?: object; operationName?: string },
    pattern: RegExp,
  ): Promise<void> {
    const response = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
      body: JSON.stringify(request),
    });
    const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    const what = `${JSON.stringify(request)} -> ${response.status} ${JSON.stringify(body)}`;
    assert.equal(response.status, 400, what);
    assert.deepEqual(
      body.errors?.map((e) => e.extensions?.code),
      ['BAD_USER_INPUT'],
      what,
    );
    assert.match(body.errors![0].message, pattern, what);
  }

  test('several operations without operationName, or an unknown operationName', async () => {
    await assertRefused(
      { query: 'query A { __typename } query B { __typename }' },
      /2 operations \(A, B\).*operationName/,
    );
    await assertRefused({ query: 'query A { __typename }', operationName: 'Nope' }, /no operation named "Nope"/);
  });

  test('a subscription', async () => {
    await assertRefused({ query: 'subscription S { mediaFiles { total } }' }, /Subscriptions are not supported/);
  });

  test('a bad date, as a literal and as a variable', async () => {
    await assertRefused({ query: '{ mediaFiles(filter: { createdFrom: "yesterday" }) { total } }' }, /yesterday/);
    await assertRefused(
      {
        query: 'query ($from: DateTimeISO) { mediaFiles(filter: { createdFrom: $from }) { total } }',
        variables: { from: 'yesterday' },
      },
      /\$from.*yesterday/,
    );
  });

  test('a bad number: a page size of 1e30, an Int overflow, a BigInt given a string or 1e30', async () => {
    await assertRefused({ query: '{ mediaFiles(page: { size: 1e30 }) { total } }' }, /Int cannot represent/);
    await assertRefused(
      { query: 'query ($size: Int!) { mediaFiles(page: { size: $size }) { total } }', variables: { size: 1e30 } },
      /Int cannot represent/,
    );
    await assertRefused({ query: '{ mediaFiles(page: { size: 99999999999 }) { total } }' }, /Int cannot represent/);
    await assertRefused(
      {
        query: `mutation { checkFile(input: { fileMd5: "${MD5}", fileName: "a.mp4", fileSize: "lots" }) { __typename } }`,
      },
      /BigInt/,
    );
    const checkFile = 'mutation ($input: CheckFileInput!) { checkFile(input: $input) { __typename } }';
    await assertRefused(
      { query: checkFile, variables: { input: { fileMd5: MD5, fileName: 'a.mp4', fileSize: 'lots' } } },
      /\$input.*BigInt/,
    );
    await assertRefused(
      { query: checkFile, variables: { input: { fileMd5: MD5, fileName: 'a.mp4', fileSize: 1e30 } } },
      /\$input.*BigInt/,
    );
  });

  test('a good request still goes through', async () => {
    const result = await graphql<{ mediaFiles: { total: number } }>(
      stack.gatewayUrl,
      '{ mediaFiles { total } }',
      {},
      member,
    );
    assert.deepEqual(result.data, { mediaFiles: { total: 0 } });
  });
});
