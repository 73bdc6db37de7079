import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { signToken } from './token.js';

const secret = 'a-test-secret-that-is-at-least-32-characters';

test('signToken writes the viewer claims, HS256, expiring in 8 hours by default', async () => {
  const token = await signToken({ userId: 'alice', roles: ['member'], organisationId: '1232141425' }, secret);
  assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
  const claims = decodeJwt(token);
  assert.equal(claims.sub, 'alice');
  assert.deepEqual(claims.roles, ['member']);
  assert.equal(claims.org, '1232141425');
  assert.equal(claims.exp! - claims.iat!, 8 * 60 * 60);
  assert.equal(claims.iss, undefined);
  assert.equal(claims.aud, undefined);
});

test('signToken sets the lifetime, issuer and audience it is given and omits a missing organisation', async () => {
  const token = await signToken({ userId: 'root', roles: ['admin'], expiresIn: '30m' }, secret, {
    issuer: 'https://id.learnhub.test',
    audience: 'learnhub-api',
  });
  const claims = decodeJwt(token);
  assert.equal(claims.exp! - claims.iat!, 30 * 60);
  assert.equal(claims.iss, 'https://id.learnhub.test');
  assert.equal(claims.aud, 'learnhub-api');
  assert.equal('org' in claims, false);
});

test('signToken writes the courses claim only when given entitlements', async () => {
  const entitled = decodeJwt(await signToken({ userId: 'bob', roles: [], entitledCourseIds: ['12', '13'] }, secret));
  assert.deepEqual(entitled.courses, ['12', '13']);
  assert.equal('courses' in decodeJwt(await signToken({ userId: 'bob', roles: [] }, secret)), false);
});
