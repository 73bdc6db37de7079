import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTokenVerifier } from '@learnhub/platform/auth';
import { startGatewayFixture, type GatewayFixture } from './testing/gateway-fixture';

const html = { accept: 'text/html,application/xhtml+xml' };

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

describe('the web console on the gateway, in development', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture({ NODE_ENV: 'development' });
  });
  after(() => fixture.stop());

  test("/ and the console's other page addresses get the console, with its security headers", async () => {
    for (const path of ['/', '/courses/42', '/sign-in?next=%2F', '/authoring/7', '/media', '/audit', '/admin']) {
      const response = await fetch(`${fixture.origin}${path}`, { headers: html });
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(
        response.headers.get('content-security-policy') ?? '',
        /script-src 'self' 'wasm-unsafe-eval'.*frame-ancestors 'none'/,
      );
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.match(await response.text(), /<div id="root"><\/div>/);
    }
  });

  test('its hashed assets are served for a year; a missing one is a JSON 404, not the page', async () => {
    const assets = dirname(require.resolve('@learnhub/web/site/index.html'));
    const script = readdirSync(`${assets}/assets`).find((name) => name.endsWith('.js'));
    assert.ok(script, 'the built console has a script');
    const found = await fetch(`${fixture.origin}/assets/${script}`);
    assert.equal(found.status, 200);
    assert.match(found.headers.get('content-type') ?? '', /javascript/);
    assert.match(found.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
    await found.body?.cancel();
    const missing = await fetch(`${fixture.origin}/assets/nothing-here.js`, { headers: html });
    assert.equal(missing.status, 404);
    assert.ok(await errorOf(missing));
  });

  test('API paths and non-HTML requests keep their JSON answers', async () => {
    for (const path of [
      '/health',
      '/uploads/some-token',
      '/dev/elsewhere',
      '/graphql;x',
      '/nothing-here',
      '/courses/1/x',
    ]) {
      const response = await fetch(`${fixture.origin}${path}`, { headers: html });
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
      await response.body?.cancel();
    }
    const json = await fetch(`${fixture.origin}/courses/42`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.match(await errorOf(json), /^Nothing at GET \/courses\/42/);
  });

  test('signs a token for a chosen role, organisation and user, which the services accept', async () => {
    const offer = await fetch(`${fixture.origin}/dev/sign-in`);
    assert.deepEqual(((await offer.json()) as { roles: string[] }).roles, ['member', 'auditor', 'admin']);
    const response = await fetch(`${fixture.origin}/dev/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'member', organisationId: '1232141425', userId: 'author-1' }),
    });
    assert.equal(response.status, 200);
    const { token } = (await response.json()) as { token: string };
    const viewer = await createTokenVerifier(fixture.config.auth).verify(token);
    assert.equal(viewer.userId, 'author-1');
    assert.equal(viewer.organisationId, '1232141425');
    assert.deepEqual(viewer.roles, ['member']);
  });

  test('refuses a sign-in it cannot sign with a 400 saying what to fix', async () => {
    const cases: [unknown, RegExp][] = [
      [{ role: 'owner', userId: 'u' }, /role must be one of member, auditor, admin/],
      [{ role: 'member', userId: 'u' }, /A member needs an organisationId/],
      [{ role: 'auditor', userId: 'a b' }, /userId must be 1 to 64/],
      [{ role: 'admin', userId: 'x'.repeat(65) }, /userId must be 1 to 64/],
      [{ role: 'admin', userId: 'x', organisationId: 7 }, /organisationId must be/],
      [['member'], /role must be one of/],
    ];
    for (const [body, message] of cases) {
      const response = await fetch(`${fixture.origin}/dev/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(await errorOf(response), message);
    }
    const malformed = await fetch(`${fixture.origin}/dev/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"role":',
    });
    assert.equal(malformed.status, 400);
    await malformed.body?.cancel();
  });
});

test('outside development there is no sign-in route', async () => {
  const fixture = await startGatewayFixture();
  try {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${fixture.origin}/dev/sign-in`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' && { body: JSON.stringify({ role: 'admin', userId: 'x' }) }),
      });
      assert.equal(response.status, 404, method);
      assert.ok(await errorOf(response));
    }
  } finally {
    await fixture.stop();
  }
});
