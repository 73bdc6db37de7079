import { createHash, createHmac } from 'node:crypto';

export interface SigV4Credentials {
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface PresignRequest {
  method: string;
  /** `scheme://host[:port]`, as the client will call it (its `Host` header is signed). */
  origin: string;
  /** The path, each segment already encoded with `uriEncode`. */
  path: string;
  /** Query parameters of the operation itself (`partNumber`, `uploadId`, ...), unencoded. */
  query: Record<string, string>;
  /** Headers the client must send exactly so; signed along with `host`. */
  headers: Record<string, string>;
  expirySeconds: number;
  now: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** RFC 3986 percent-encoding, as SigV4 canonicalises: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/** `20130524T000000Z`: the basic ISO 8601 form SigV4 uses. */
function amzDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * A URL presigned with AWS Signature Version 4 in the query string (S3's "query string
 * authentication"), for S3 service requests. The payload is not signed (`UNSIGNED-PAYLOAD`): what
 * binds the body is a signed header such as `Content-MD5`, which S3 checks against the bytes.
 */
export function presignV4(credentials: SigV4Credentials, request: PresignRequest): string {
  const date = amzDate(request.now);
  const scope = `${date.slice(0, 8)}/${credentials.region}/s3/aws4_request`;
  const headers = new Map<string, string>([['host', new URL(request.origin).host]]);
  for (const [name, value] of Object.entries(request.headers))
    headers.set(name.toLowerCase(), value.trim().replace(/ +/g, ' '));
  const signedHeaders = [...headers.keys()].sort().join(';');
  const params: Record<string, string> = {
    ...request.query,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${credentials.accessKey}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(request.expirySeconds),
    'X-Amz-SignedHeaders': signedHeaders,
  };
  // Sorted by encoded name, in byte order.
  const query = Object.entries(params)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = [...headers.keys()]
    .sort()
    .map((name) => `${name}:${headers.get(name)}\n`)
    .join('');
  const canonicalRequest = [
    request.method,
    request.path,
    query,
    canonicalHeaders,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [ALGORITHM, date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const signingKey = [date.slice(0, 8), credentials.region, 's3', 'aws4_request'].reduce<Buffer>(
    (key, part) => hmac(key, part),
    Buffer.from(`AWS4${credentials.secretKey}`),
  );
  const signature = hmac(signingKey, stringToSign).toString('hex');
  return `${request.origin}${request.path}?${query}&X-Amz-Signature=${signature}`;
}
