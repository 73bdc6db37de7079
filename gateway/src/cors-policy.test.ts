import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FILE_BODY } from './testing/digest-subgraph';
import { startGatewayFixture, type GatewayFixture } from './testing/gateway-fixture';

const APP = 'https://app.example.com';

/** A browser's preflight: OPTIONS with the origin, the method and the headers the real request will carry. */
function preflight(url: string, origin: string, method: string, headers: string) {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
}

function assertAllowedPreflight(response: Response, origin: string): void {
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), origin);
  assert.match(response.headers.get('vary') ?? '', /\bOrigin\b/);
  assert.equal(response.headers.get('access-control-allow-methods'), 'GET, POST, PUT, OPTIONS');
  assert.equal(
    response.headers.get('access-control-allow-headers'),
    'authorization, content-type, content-md5, apollo-require-preflight, x-apollo-operation-name, range, if-none-match, if-range, x-request-id',
  );
  assert.equal(response.headers.get('access-control-max-age'), '600');
  assert.equal(response.headers.get('access-control-allow-credentials'), null);
}

describe('CORS with CORS_ORIGINS outside development', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture({ CORS_ORIGINS: `${APP}, https://admin.example.com` });
  });
  after(() => fixture?.stop());

  test('a listed origin gets its preflights answered 204 on /graphql, /files and /uploads', async () => {
    assertAllowedPreflight(await preflight(fixture.graphql, APP, 'POST', 'authorization,content-type'), APP);
    assertAllowedPreflight(
      await preflight(fixture.graphql, APP, 'POST', 'authorization,apollo-require-preflight'),
      APP,
    );
    assertAllowedPreflight(await preflight(`${fixture.origin}/files/videos/a.mp4`, APP, 'GET', 'range'), APP);
    // A chunk sent to a chunk upload URL.
    assertAllowedPreflight(
      await preflight(`${fixture.origin}/uploads/token`, APP, 'PUT', 'content-md5,content-type'),
      APP,
    );
    assertAllowedPreflight(
      await preflight(fixture.graphql, 'https://admin.example.com', 'POST', 'content-type'),
      'https://admin.example.com',
    );
  });

  test("a listed origin's actual requests carry Allow-Origin and the exposed headers", async () => {
    const query = await fetch(fixture.graphql, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    assert.deepEqual(await query.json(), { data: { hello: 'world' } });
    assert.equal(query.headers.get('access-control-allow-origin'), APP);
    assert.equal(
      query.headers.get('access-control-expose-headers'),
      'content-range, accept-ranges, content-length, etag, x-request-id',
    );
    assert.match(query.headers.get('vary') ?? '', /\bOrigin\b/);

    const file = await fetch(`${fixture.origin}/files/videos/a.mp4`, { headers: { origin: APP, range: 'bytes=0-3' } });
    assert.equal(file.status, 206);
    assert.equal(await file.text(), FILE_BODY.subarray(0, 4).toString());
    assert.equal(file.headers.get('access-control-allow-origin'), APP);
    assert.match(file.headers.get('access-control-expose-headers') ?? '', /content-range/);
  });

  test('any other origin (localhost included, outside development) gets no CORS headers, and its preflight a JSON 403', async () => {
    for (const origin of [
      'https://evil.example.com',
      'http://localhost:3000',
      'https://app.example.com.evil.com',
      'null',
    ]) {
      const refused = await preflight(fixture.graphql, origin, 'POST', 'content-type');
      assert.equal(refused.status, 403, origin);
      assert.equal(refused.headers.get('access-control-allow-origin'), null, origin);
      const body = (await refused.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
      assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', origin);
      assert.match(body.errors?.[0]?.message ?? '', /CORS_ORIGINS/);

      const filesRefused = await preflight(`${fixture.origin}/files/a.mp4`, origin, 'GET', 'range');
      assert.equal(filesRefused.status, 403, origin);
      assert.equal(typeof ((await filesRefused.json()) as { error?: unknown }).error, 'string');

      const actual = await fetch(fixture.graphql, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ hello }' }),
      });
      assert.equal(actual.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(actual.headers.get('access-control-expose-headers'), null, origin);
      await actual.body?.cancel();
    }
  });

  test('requests without an Origin (servers, curl) are unaffected', async () => {
    const response = await fetch(fixture.graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    await response.body?.cancel();
  });
});

test('in development any http://localhost or http://127.0.0.1 origin is allowed as well, and nothing that only looks like one', async () => {
  const fixture = await startGatewayFixture({ NODE_ENV: 'development', CORS_ORIGINS: APP });
  try {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://localhost', APP]) {
      assertAllowedPreflight(await preflight(fixture.graphql, origin, 'POST', 'content-type'), origin);
    }
    for (const origin of [
      'http://localhost.evil.com',
      'https://localhost:5173',
      'http://127.0.0.2:80',
      'http://localhost:5173.evil.com',
    ]) {
      assert.equal((await preflight(fixture.graphql, origin, 'POST', 'content-type')).status, 403, origin);
    }
  } finally {
    await fixture.stop();
  }
});
