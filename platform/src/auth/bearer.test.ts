import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, unauthenticated } from '../errors.js';
import { viewerFromRequest } from './bearer.js';
import type { TokenVerifier } from './token-verifier.js';
import { anonymous, type Viewer } from './viewer.js';

const alice: Viewer = { userId: 'alice', roles: ['member'], organisationId: '1' };
const verifier: TokenVerifier = {
  async verify(token) {
    if (token === 'good.token.here') return alice;
    throw unauthenticated('The token is malformed.');
  },
};
const refused = (message?: RegExp) => ({ code: ErrorCode.UNAUTHENTICATED, ...(message && { message }) });

test('no Authorization header means anonymous', async () => {
  assert.equal(await viewerFromRequest(undefined, verifier), anonymous);
});

test('a bearer token is verified, whatever the scheme’s case or surrounding spaces', async () => {
  for (const header of ['Bearer good.token.here', 'bearer good.token.here', '  BEARER   good.token.here  ']) {
    assert.equal(await viewerFromRequest(header, verifier), alice);
  }
});

test('the verifier’s refusal reaches the caller', async () => {
  await assert.rejects(viewerFromRequest('Bearer bad.token.here', verifier), refused(/malformed/));
});

test('other schemes are refused', async () => {
  for (const header of ['Basic YWxpY2U6c2VjcmV0', 'Token good.token.here', 'good.token.here', '']) {
    await assert.rejects(viewerFromRequest(header, verifier), refused(/Bearer/));
  }
});

test('a bearer header without a token is refused', async () => {
  for (const header of ['Bearer', 'Bearer ', 'Bearer    ']) {
    await assert.rejects(viewerFromRequest(header, verifier), refused(/no token/));
  }
});
