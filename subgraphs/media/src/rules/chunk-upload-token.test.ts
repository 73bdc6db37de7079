import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkUploadTokens, type ChunkGrant } from './chunk-upload-token';

const grant: ChunkGrant = {
  organisationId: 'org-1',
  sessionId: '42',
  multipartUploadId: 'upload-abc',
  index: 3,
  size: 5_242_880,
  md5: 'a'.repeat(32),
  expires: 2_000_000_000,
};
const now = (grant.expires - 60) * 1000;

describe('chunk upload tokens', () => {
  const tokens = new ChunkUploadTokens('chunk-token-test-secret-of-32-chars!');

  test('a token carries its grant, bound to its multipart upload, until it expires', () => {
    const token = tokens.issue(grant);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const checked = tokens.check(token, now);
    assert.ok(checked.valid);
    const { uploadTag, ...claims } = checked.claims;
    const { multipartUploadId, ...expected } = grant;
    assert.deepEqual(claims, expected);
    assert.equal(tokens.bindsUpload(checked.claims, multipartUploadId), true);
    assert.equal(tokens.bindsUpload(checked.claims, 'another-upload'), false);
    assert.deepEqual(tokens.check(token, grant.expires * 1000), { valid: false, reason: 'expired' });
  });

  test('a changed payload or signature, another key, or another shape is refused before anything is read', () => {
    const token = tokens.issue(grant);
    const [payload, signature] = token.split('.');
    const other = Buffer.from(
      JSON.stringify([1, 'org-2', '42', 3, 5_242_880, 'a'.repeat(32), grant.expires, 'x']),
    ).toString('base64url');
    assert.deepEqual(tokens.check(`${other}.${signature}`, now), { valid: false, reason: 'altered' });
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    assert.deepEqual(tokens.check(`${payload}.${flipped}`, now), { valid: false, reason: 'altered' });
    const foreign = new ChunkUploadTokens('another-install-secret-of-32-chars!!');
    assert.deepEqual(foreign.check(token, now), { valid: false, reason: 'altered' });
    for (const malformed of [
      '',
      'nodot',
      `${payload}.short`,
      `${payload}.${signature}.x`,
      `${'a'.repeat(2000)}.${signature}`,
    ])
      assert.deepEqual(tokens.check(malformed, now), { valid: false, reason: 'malformed' });
    // Signed, but fields of the wrong kind: refused, never half-read.
    const wrongKinds = tokens.sign({ ...grant, uploadTag: 't', index: -1 });
    assert.deepEqual(tokens.check(wrongKinds, now), { valid: false, reason: 'malformed' });
  });
});
