import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { ErrorCode } from '../errors.js';
import { signToken } from './token.js';
import { createTokenVerifier } from './token-verifier.js';

const secret = 'a-test-secret-that-is-at-least-32-characters';
const issuer = 'https://id.learnhub.test';
const audience = 'learnhub-api';

const refused = (message: RegExp) => ({ name: 'AppError', code: ErrorCode.UNAUTHENTICATED, message });

/** Signs arbitrary claims, for tokens `signToken` would never produce. */
function signClaims(claims: JWTPayload, { alg = 'HS256', key = secret, expires = true } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setSubject('alice').setIssuedAt();
  if (expires) jwt.setExpirationTime('1h');
  return jwt.sign(new TextEncoder().encode(key));
}

describe('createTokenVerifier with a shared secret', () => {
  const verifier = createTokenVerifier({ jwtSecret: secret });

  test('turns a signed token back into its viewer', async () => {
    const token = await signToken({ userId: 'alice', roles: ['member'], organisationId: '1232141425' }, secret);
    assert.deepEqual(await verifier.verify(token), {
      userId: 'alice',
      roles: ['member'],
      organisationId: '1232141425',
    });
  });

  test('accepts staff without an organisation', async () => {
    const token = await signToken({ userId: 'root', roles: ['admin', 'auditor'] }, secret);
    assert.deepEqual(await verifier.verify(token), { userId: 'root', roles: ['auditor', 'admin'] });
  });

  test('ignores roles it does not know', async () => {
    const token = await signClaims({ roles: ['wizard', 'auditor', 42, 'auditor'] });
    assert.deepEqual((await verifier.verify(token)).roles, ['auditor']);
  });

  test('says so when the token has expired', async () => {
    const token = await signToken({ userId: 'alice', roles: [], expiresIn: '10s ago' }, secret);
    await assert.rejects(verifier.verify(token), refused(/expired/));
  });

  test('refuses a token without an expiry', async () => {
    await assert.rejects(verifier.verify(await signClaims({}, { expires: false })), refused(/expiry/));
  });

  test('refuses a token signed with another secret', async () => {
    const token = await signToken({ userId: 'alice', roles: [] }, 'another-secret-of-at-least-32-characters');
    await assert.rejects(verifier.verify(token), refused(/signature is invalid/));
  });

  test('refuses HS512 even with the right secret', async () => {
    await assert.rejects(verifier.verify(await signClaims({}, { alg: 'HS512' })), refused(/algorithm/));
  });

  test('says so when the token is malformed', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', '']) {
      await assert.rejects(verifier.verify(token), refused(/malformed/));
    }
  });

  test('refuses a member without an organisation', async () => {
    const token = await signToken({ userId: 'alice', roles: ['member'] }, secret);
    await assert.rejects(verifier.verify(token), refused(/names no organisation/));
  });

  test('refuses an organisation that is not a string', async () => {
    await assert.rejects(verifier.verify(await signClaims({ roles: ['member'], org: 1232141425 })), refused(/"org"/));
  });

  test('refuses roles that are not a list', async () => {
    await assert.rejects(verifier.verify(await signClaims({ roles: 'admin' })), refused(/"roles"/));
  });

  test('carries the courses the holder bought as entitledCourseIds, each once', async () => {
    const token = await signToken({ userId: 'bob', roles: [], entitledCourseIds: ['12', '13', '12'] }, secret);
    assert.deepEqual(await verifier.verify(token), { userId: 'bob', roles: [], entitledCourseIds: ['12', '13'] });
  });

  test('leaves entitledCourseIds out when the token has no courses claim', async () => {
    const token = await signToken({ userId: 'bob', roles: [] }, secret);
    assert.equal('entitledCourseIds' in (await verifier.verify(token)), false);
  });

  test('refuses a courses claim that is not a list of non-empty strings', async () => {
    for (const courses of ['12', 12, [12], [''], ['12', null], { 0: '12' }]) {
      await assert.rejects(
        verifier.verify(await signClaims({ courses })),
        refused(/"courses" claim must be a list of course ids/),
      );
    }
  });

  test('refuses a courses claim of more than 1000 courses', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
    assert.equal((await verifier.verify(await signClaims({ courses: ids(1000) }))).entitledCourseIds?.length, 1000);
    await assert.rejects(verifier.verify(await signClaims({ courses: ids(1001) })), refused(/at most 1000/));
  });

  test('refuses a token without a subject', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    await assert.rejects(verifier.verify(token), refused(/names no user/));
  });
});

describe('createTokenVerifier with an issuer and audience', () => {
  const verifier = createTokenVerifier({ jwtSecret: secret, issuer, audience });
  const sign = (claimsFor: { issuer?: string; audience?: string }) =>
    signToken({ userId: 'alice', roles: ['auditor'] }, secret, claimsFor);

  test('accepts a token from that issuer for that audience', async () => {
    assert.equal((await verifier.verify(await sign({ issuer, audience }))).userId, 'alice');
  });

  test('refuses another issuer, or none', async () => {
    await assert.rejects(verifier.verify(await sign({ issuer: 'https://evil.test', audience })), refused(/issuer/));
    await assert.rejects(verifier.verify(await sign({ audience })), refused(/issuer/));
  });

  test('refuses another audience, or none', async () => {
    await assert.rejects(verifier.verify(await sign({ issuer, audience: 'other-api' })), refused(/audience/));
    await assert.rejects(verifier.verify(await sign({ issuer })), refused(/audience/));
  });
});

describe('createTokenVerifier with a remote key set', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  before(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] };
    server = createServer((request, response) => {
      if (request.url !== '/jwks.json') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const signRs256 = (kid: string, key: CryptoKey = privateKey) =>
    new SignJWT({ roles: ['member'], org: '7' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('bob')
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(key);

  test('verifies an RS256 token with a key from the set', async () => {
    const verifier = createTokenVerifier({ jwksUrl, issuer, audience });
    assert.deepEqual(await verifier.verify(await signRs256('test-key')), {
      userId: 'bob',
      roles: ['member'],
      organisationId: '7',
    });
  });

  test('prefers the key set over a secret, so HS256 tokens are refused', async () => {
    const verifier = createTokenVerifier({ jwksUrl, jwtSecret: secret, issuer, audience });
    const token = await signToken({ userId: 'bob', roles: ['admin'] }, secret, { issuer, audience });
    await assert.rejects(verifier.verify(token), refused(/algorithm/));
  });

  test('refuses a token signed with a key outside the set', async () => {
    const verifier = createTokenVerifier({ jwksUrl, issuer, audience });
    const stranger = await generateKeyPair('RS256');
    const unknownKid = await signRs256('unknown-key', stranger.privateKey);
    await assert.rejects(verifier.verify(unknownKid), refused(/does not recognise/));
    await assert.rejects(verifier.verify(await signRs256('test-key', stranger.privateKey)), refused(/signature/));
  });
});

test('createTokenVerifier needs a secret or a key set', () => {
  assert.throws(() => createTokenVerifier({}), /jwtSecret or auth.jwksUrl/);
});
