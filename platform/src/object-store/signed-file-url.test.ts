import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FileUrlSigner } from './signed-file-url.js';

describe('signed file URLs', () => {
  const signer = new FileUrlSigner('a-file-url-secret-that-is-long-enough');
  const now = Date.UTC(2026, 0, 1);
  const url = new URL(signer.signUrl('http://files.test/files/media/a%20b/c.mp4', 'media', 'a b/c.mp4', 3600, now));
  const expires = url.searchParams.get('expires')!;
  const signature = url.searchParams.get('signature')!;

  it('appends expires (unix seconds) and a base64url signature to the plain URL', () => {
    assert.equal(`${url.origin}${url.pathname}`, 'http://files.test/files/media/a%20b/c.mp4');
    assert.equal(Number(expires), now / 1000 + 3600);
    assert.match(signature, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(signer.check('media', 'a b/c.mp4', expires, signature, now), {
      valid: true,
      expires: now / 1000 + 3600,
    });
  });

  it('refuses it once expired, at the second it expires', () => {
    assert.deepEqual(signer.check('media', 'a b/c.mp4', expires, signature, (now / 1000 + 3600) * 1000), {
      valid: false,
      reason: 'expired',
    });
    assert.equal(signer.check('media', 'a b/c.mp4', expires, signature, (now / 1000 + 3599) * 1000).valid, true);
  });

  it('refuses an altered bucket, key, expiry or signature', () => {
    const altered = (bucket: string, key: string, e: string, s: string) => signer.check(bucket, key, e, s, now);
    assert.deepEqual(altered('video', 'a b/c.mp4', expires, signature), { valid: false, reason: 'altered' });
    assert.deepEqual(altered('media', 'a b/d.mp4', expires, signature), { valid: false, reason: 'altered' });
    assert.deepEqual(altered('media', 'a b/c.mp4', String(Number(expires) + 86_400), signature), {
      valid: false,
      reason: 'altered',
    });
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    assert.deepEqual(altered('media', 'a b/c.mp4', expires, flipped), { valid: false, reason: 'altered' });
    // Bucket and key cannot trade characters: the parts are separated by a byte neither may hold.
    assert.equal(altered('media', 'a b/c.mp', `4${expires}`, signature).valid, false);
    // Another secret's signature is worth nothing here.
    const other = new URL(
      new FileUrlSigner('another-secret-that-is-long-enough!!').signUrl(
        'http://x/files/media/a',
        'media',
        'a b/c.mp4',
        3600,
        now,
      ),
    );
    assert.deepEqual(altered('media', 'a b/c.mp4', expires, other.searchParams.get('signature')!), {
      valid: false,
      reason: 'altered',
    });
  });

  it('refuses missing and malformed values', () => {
    assert.deepEqual(signer.check('media', 'k', undefined, undefined, now), { valid: false, reason: 'missing' });
    for (const [e, s] of [
      [expires, undefined],
      [undefined, signature],
      ['', signature],
      ['-1', signature],
      ['1e9', signature],
      [` ${expires}`, signature],
      [expires, `${signature}=`],
      [expires, signature.slice(1)],
      [expires, [signature, signature]],
      [[expires], signature],
    ] as const) {
      assert.deepEqual(
        signer.check('media', 'a b/c.mp4', e, s, now),
        { valid: false, reason: 'malformed' },
        JSON.stringify([e, s]),
      );
    }
  });

  it('needs a secret', () => {
    assert.throws(() => new FileUrlSigner(''), /FILE_URL_SECRET/);
  });
});
