import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a chunk upload URL lets its holder do: send these exact bytes as this chunk of this upload, until `expires`. */
export interface ChunkGrant {
  organisationId: string;
  sessionId: string;
  /** The session's multipart upload: a URL of an upload that ended cannot write into a later one of the same file. */
  multipartUploadId: string;
  index: number;
  size: number;
  md5: string;
  /** Unix seconds. */
  expires: number;
}

/** A grant as a token carries it: the multipart upload only as a digest (`bindsUpload` compares it). */
export type ChunkClaims = Omit<ChunkGrant, 'multipartUploadId'> & { uploadTag: string };

export type ChunkTokenCheck =
  | { valid: true; claims: ChunkClaims }
  | { valid: false; reason: 'malformed' | 'altered' | 'expired' };

const VERSION = 1;
const MAX_TOKEN_LENGTH = 1024;
const TOKEN = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

function uploadTag(multipartUploadId: string): string {
  return createHash('sha256').update(multipartUploadId).digest('base64url').slice(0, 22);
}

/**
 * Signs and checks the capability in media's own chunk URLs (`PUT /uploads/<token>`), used when
 * the object store cannot take bytes from clients. The token is `<payload>.<signature>`: a
 * base64url JSON array and an HMAC-SHA256 over it, keyed from the file URL secret for this purpose
 * alone, so no token of another kind (a file URL's signature, a JWT) can pass for one.
 */
export class ChunkUploadTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (!secret) throw new Error('Chunk upload URLs need a secret: set FILE_URL_SECRET (or AUTH_JWT_SECRET).');
    this.key = createHmac('sha256', secret).update('learnhub chunk upload urls').digest();
  }

  issue(grant: ChunkGrant): string {
    const { multipartUploadId, ...rest } = grant;
    return this.sign({ ...rest, uploadTag: uploadTag(multipartUploadId) });
  }

  /** A token carrying exactly these claims. */
  sign(claims: ChunkClaims): string {
    const payload = Buffer.from(
      JSON.stringify([
        VERSION,
        claims.organisationId,
        claims.sessionId,
        claims.index,
        claims.size,
        claims.md5,
        claims.expires,
        claims.uploadTag,
      ]),
    ).toString('base64url');
    return `${payload}.${this.signature(payload)}`;
  }

  /** Checks the signature (in constant time) before reading anything, then the expiry against `now` (ms). */
  check(token: string, now = Date.now()): ChunkTokenCheck {
    const match = token.length <= MAX_TOKEN_LENGTH ? TOKEN.exec(token) : null;
    if (!match) return { valid: false, reason: 'malformed' };
    const [, payload, signature] = match;
    const expected = Buffer.from(this.signature(payload));
    const sent = Buffer.from(signature);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return { valid: false, reason: 'altered' };
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { valid: false, reason: 'malformed' };
    }
    const claims = claimsOf(fields);
    if (!claims) return { valid: false, reason: 'malformed' };
    if (claims.expires * 1000 <= now) return { valid: false, reason: 'expired' };
    return { valid: true, claims };
  }

  /** Whether the claims were issued for this multipart upload. */
  bindsUpload(claims: ChunkClaims, multipartUploadId: string): boolean {
    return claims.uploadTag === uploadTag(multipartUploadId);
  }

  private signature(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** A signed payload of the current version; anything else (an old or future layout) is malformed. */
function claimsOf(fields: unknown): ChunkClaims | undefined {
  if (!Array.isArray(fields) || fields.length !== 8 || fields[0] !== VERSION) return undefined;
  const [, organisationId, sessionId, index, size, md5, expires, tag] = fields as unknown[];
  const whole = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (
    typeof organisationId !== 'string' ||
    typeof sessionId !== 'string' ||
    typeof md5 !== 'string' ||
    typeof tag !== 'string' ||
    !whole(index) ||
    !whole(size) ||
    !whole(expires)
  )
    return undefined;
  return { organisationId, sessionId, index, size, md5, expires, uploadTag: tag };
}
