/** The chunk arrived damaged: its MD5 (or, on S3, its Content-MD5) did not match what was sent. */
const DAMAGED_CHUNK_REASONS = new Set(['CHUNK_CHECKSUM_MISMATCH', 'BadDigest']);

/** Reasons the server gives for a refusal that may well succeed when the same request is sent again. */
const RETRYABLE_REASONS = new Set([
  ...DAMAGED_CHUNK_REASONS,
  // An earlier copy of the chunk is still arriving on the server.
  'CHUNK_UPLOADING',
  // Another request is merging the upload; asked again, it gives that merge's result.
  'UPLOAD_MERGING',
  // A chunk upload URL that expired or was revoked: a new one is asked for before sending again.
  'CHUNK_URL_REFUSED',
]);

/** Codes the client itself gives, beside the server's GraphQL codes (BAD_USER_INPUT, CONFLICT, ...). */
export type ClientErrorCode =
  /** No answer: the connection failed, was cut, or the request ran past its deadline. */
  | 'NETWORK_ERROR'
  /** An answer that is not the GraphQL (or chunk URL) answer expected, with its HTTP status. */
  | 'HTTP_ERROR'
  /** The caller's AbortSignal stopped the upload. */
  | 'ABORTED'
  /** The file's bytes differ from when it was hashed, or can no longer be read. */
  | 'FILE_CHANGED'
  /** The server answered something this client does not understand. */
  | 'UNEXPECTED_ANSWER';

export interface UploadErrorDetails {
  /** A reason within the code, from the server's `extensions.reason` (e.g. NOT_A_VIDEO, UPLOAD_QUOTA_BYTES). */
  reason?: string;
  /** The HTTP status, when an answer arrived. */
  status?: number;
  /** All of the server's error extensions (e.g. `missing` with CHUNKS_MISSING, `limit` with a quota). */
  extensions?: Record<string, unknown>;
  /** Seconds the server asked to wait before trying again (Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** A failed upload step: the server's code, reason and message, or the client's own code when no answer came. */
export class UploadError extends Error {
  /** The GraphQL `extensions.code` (BAD_USER_INPUT, CONFLICT, UNAUTHENTICATED, ...) or a ClientErrorCode. */
  readonly code: string;
  readonly reason?: string;
  readonly status?: number;
  readonly extensions: Record<string, unknown>;
  readonly retryAfterSeconds?: number;

  constructor(message: string, code: ClientErrorCode | (string & {}), details: UploadErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'UploadError';
    this.code = code;
    this.reason = details.reason;
    this.status = details.status;
    this.extensions = details.extensions ?? {};
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /**
   * Worth another attempt unchanged: no answer, a server error (5xx), too many requests (429), a
   * damaged chunk, or the server busy with this very upload. Any other refusal (4xx) is final.
   */
  get retryable(): boolean {
    if (this.code === 'ABORTED' || this.code === 'FILE_CHANGED') return false;
    if (this.code === 'NETWORK_ERROR' || this.code === 'INTERNAL') return true;
    if (this.reason !== undefined && RETRYABLE_REASONS.has(this.reason)) return true;
    return this.status !== undefined && (this.status >= 500 || this.status === 429);
  }

  /** The server refused a chunk as damaged on its way. */
  get damagedChunk(): boolean {
    return this.reason !== undefined && DAMAGED_CHUNK_REASONS.has(this.reason);
  }
}

export function abortedError(signal: AbortSignal): UploadError {
  return new UploadError('The upload was aborted.', 'ABORTED', { cause: signal.reason });
}

export const isUploadError = (error: unknown, code?: string): error is UploadError =>
  error instanceof UploadError && (code === undefined || error.code === code);
