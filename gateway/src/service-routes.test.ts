import assert from 'node:assert/strict';
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
    assert.deepEqual(await response.json(), { status: 'ready', service: 'gateway', checks: [{ name: 'media', ok: true }] });
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
    const cached = await fetch(`${fixture.origin}/files/videos/a.mp4`, { headers: { 'if-none-match': '"digest-file"' } });
    assert.equal(cached.status, 304);
  });

  test('/files/* passes a signed URL\'s expires and signature on (nothing else), and the file security headers back', async () => {
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
    assert.deepEqual(body.checks.map(({ name, ok }) => ({ name, ok })), [{ name: 'media', ok: false }]);
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
