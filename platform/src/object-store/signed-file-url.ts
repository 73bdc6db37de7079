import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed file URL carries besides the plain URL. */
export interface FileUrlSignature {
  /** Unix seconds after which the URL is refused. */
  expires: number;
  /** base64url HMAC-SHA256 of bucket, key and expiry. */
  signature: string;
}

/** Why a signed URL was refused, or until when it is good. */
export type FileUrlCheck =
  | { valid: true; expires: number }
  | { valid: false; reason: 'missing' | 'malformed' | 'altered' | 'expired' };

const EXPIRES = /^[1-9][0-9]{0,11}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Signs and checks links to private stored objects: `?expires=<unix seconds>&signature=<sig>` on
 * the plain file URL. The HMAC key is derived from the configured secret for this purpose alone,
 * so the secret (often the JWT secret) never signs anything else directly.
 */
export class FileUrlSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (!secret) throw new Error('Signed file URLs need a secret: set FILE_URL_SECRET (or AUTH_JWT_SECRET).');
    this.key = createHmac('sha256', secret).update('learnhub file urls').digest();
  }

  /** The signature of `bucket`/`key` valid until `expires` (unix seconds). */
  sign(bucket: string, key: string, expires: number): FileUrlSignature {
    // NUL never occurs in a bucket or key, so the three parts cannot be shifted into one another.
    const signature = createHmac('sha256', this.key).update(`${bucket}\0${key}\0${expires}`).digest('base64url');
    return { expires, signature };
  }

  /** `plainUrl` with a signature that lasts `lifetimeSeconds` from `now` (ms). */
  signUrl(plainUrl: string, bucket: string, key: string, lifetimeSeconds: number, now = Date.now()): string {
    const { expires, signature } = this.sign(bucket, key, Math.floor(now / 1000) + lifetimeSeconds);
    const url = new URL(plainUrl);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', signature);
    return url.href;
  }

  /** Checks a URL's `expires` and `signature` query values for `bucket`/`key`, in constant time. */
  check(bucket: string, key: string, expires: unknown, signature: unknown, now = Date.now()): FileUrlCheck {
    if (expires === undefined && signature === undefined) return { valid: false, reason: 'missing' };
    if (
      typeof expires !== 'string' ||
      typeof signature !== 'string' ||
      !EXPIRES.test(expires) ||
      !SIGNATURE.test(signature)
    ) {
      return { valid: false, reason: 'malformed' };
    }
    const expected = Buffer.from(this.sign(bucket, key, Number(expires)).signature);
    const sent = Buffer.from(signature);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return { valid: false, reason: 'altered' };
    if (Number(expires) * 1000 <= now) return { valid: false, reason: 'expired' };
    return { valid: true, expires: Number(expires) };
  }
}
