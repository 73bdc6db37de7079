import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { FILE_BODY } from './testing/digest-subgraph';
import { startGatewayFixture, type GatewayFixture } from './testing/gateway-fixture';

describe('HTTP routes beside GraphQL', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture({ GATEWAY_SECRET: 'files-need-this-secret' });
  });
  after(() => fixture.stop());

  test('/health answers', async () => {
    const response = await fetch(`${fixture.origin}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok', service: 'gateway' });
  });

  test('/ready checks every subgraph', async () => {
    const response = await fetch(`${fixture.origin}/ready`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: 'ready',
      service: 'gateway',
      checks: [{ name: 'media', ok: true }],
    });
  });

  test('/metrics serves Prometheus text', async () => {
    const response = await fetch(`${fixture.origin}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /http_request_duration_seconds_bucket\{.*service="gateway"/);
  });

  test('/files/* streams a range from the media subgraph with the file headers', async () => {
    const response = await fetch(`${fixture.origin}/files/videos/lesson%201.mp4`, { headers: { range: 'bytes=2-5' } });
    assert.equal(response.status, 206);
    assert.equal(await response.text(), FILE_BODY.subarray(2, 6).toString());
    assert.equal(response.headers.get('content-range'), `bytes 2-5/${FILE_BODY.length}`);
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get('etag'), '"digest-file"');
    assert.equal(response.headers.get('content-length'), '4');
    assert.equal(response.headers.get('x-internal'), null);
  });

  test('/files/* serves the whole file without a range, and 304 for a matching If-None-Match', async () => {
    const whole = await fetch(`${fixture.origin}/files/videos/a.mp4`);
    assert.equal(whole.status, 200);
    assert.equal(await whole.text(), FILE_BODY.toString());
    const cached = await fetch(`${fixture.origin}/files/videos/a.mp4`, {
      headers: { 'if-none-match': '"digest-file"' },
    });
    assert.equal(cached.status, 304);
  });

  test("/files/* passes a signed URL's expires and signature on (nothing else), and the file security headers back", async () => {
    const signed = await fetch(`${fixture.origin}/files/videos/a.mp4?expires=2000000000&signature=good&callback=x`);
    assert.equal(signed.status, 200);
    assert.equal(await signed.text(), FILE_BODY.toString());
    assert.equal(signed.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(signed.headers.get('x-frame-options'), 'DENY');
    assert.equal(signed.headers.get('content-security-policy'), "default-src 'none'");
    const altered = await fetch(`${fixture.origin}/files/videos/a.mp4?expires=2000000000&signature=forged`);
    assert.equal(altered.status, 403);
    assert.deepEqual(await altered.json(), { error: 'bad signature' });
  });

  test('/files/* does not let a path climb out of /files', async () => {
    const response = await fetch(`${fixture.origin}/files/%2E%2E/graphql`);
    assert.equal(response.status, 400);
  });

  test('/files/* passes cache-control, vary and content-disposition back, keeping its own Vary: Origin', async () => {
    const response = await fetch(`${fixture.origin}/files/videos/a.mp4`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'private, max-age=60');
    assert.equal(response.headers.get('content-disposition'), 'inline; filename="a.txt"');
    assert.deepEqual(response.headers.get('vary')?.split(/,\s*/).sort(), ['Accept-Encoding', 'Origin']);
    await response.body?.cancel();
  });

  test('every /files answer the gateway makes itself is nosniff JSON too: a bad path, a malformed URL, an unknown method', async () => {
    for (const [method, path, status] of [
      ['GET', '/files/%2E%2E/graphql', 400],
      ['GET', '/files/a/%2e%2e/%2e%2e/graphql', 400],
      ['GET', '/files/%E0%A4%A', 400],
      ['POST', '/files/videos/a.mp4', 404],
      ['GET', '/files', 404],
    ] as const) {
      // The path as written: fetch and URL strings would resolve the (even percent-encoded) dot segments first.
      const response = await new Promise<IncomingMessage>((resolve, reject) =>
        request({ host: '127.0.0.1', port: fixture.gateway.port, path, method })
          .once('response', resolve)
          .once('error', reject)
          .end(),
      );
      const body = JSON.parse(await text(response)) as { error?: unknown };
      assert.equal(response.statusCode, status, `${method} ${path}`);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', `${method} ${path}`);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/, `${method} ${path}`);
      assert.equal(typeof body.error, 'string', `${method} ${path}`);
    }
  });

  test('anything else no route takes is answered with JSON, not an HTML page', async () => {
    const elsewhere = await fetch(`${fixture.origin}/nothing-here`);
    assert.equal(elsewhere.status, 404);
    assert.equal(typeof ((await elsewhere.json()) as { error?: unknown }).error, 'string');
    const graphql = await fetch(`${fixture.origin}/graphql/deeper`, { method: 'PATCH' });
    assert.ok(graphql.status >= 400 && graphql.status < 500, String(graphql.status));
    const body = (await graphql.json()) as { errors?: { extensions?: { code?: string } }[] };
    assert.equal(typeof body.errors?.[0]?.extensions?.code, 'string');
  });

  test('GET /graphql shows no landing page outside development', async () => {
    const response = await fetch(fixture.graphql, { headers: { accept: 'text/html' } });
    assert.doesNotMatch(response.headers.get('content-type') ?? '', /text\/html/);
  });
});

test('/ready answers 503 naming the subgraph that is down', async () => {
  const fixture = await startGatewayFixture();
  try {
    await fixture.subgraph.stop();
    const response = await fetch(`${fixture.origin}/ready`);
    assert.equal(response.status, 503);
    const body = (await response.json()) as { checks: { name: string; ok: boolean }[] };
    assert.deepEqual(
      body.checks.map(({ name, ok }) => ({ name, ok })),
      [{ name: 'media', ok: false }],
    );
  } finally {
    await fixture.gateway.stop();
  }
});

test('GET /graphql shows Apollo Sandbox in development', async () => {
  const fixture = await startGatewayFixture({ NODE_ENV: 'development' });
  try {
    const response = await fetch(fixture.graphql, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /sandbox/i);
  } finally {
    await fixture.stop();
  }
});

test('the /files 502 for a media service that is down is nosniff JSON', async () => {
  const fixture = await startGatewayFixture();
  try {
    await fixture.subgraph.stop();
    const response = await fetch(`${fixture.origin}/files/videos/a.mp4`);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(typeof ((await response.json()) as { error?: unknown }).error, 'string');
  } finally {
    await fixture.gateway.stop();
  }
});
