import { type Fetch, fetchWithDeadline, readBody, retryAfterSeconds } from '../http-request.js';
import type { UploadApi } from '../upload-api.js';
import { UploadError } from '../upload-error.js';
import type { ChunkToSend, ChunkTransport } from './chunk-transport.js';
import { ChunkUrlBook } from './chunk-url-book.js';

/** Headers fetch sets itself from the URL and the body (and browsers refuse to take from a script). */
const FETCH_OWNED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);

export interface UrlTransportOptions {
  api: UploadApi;
  fileMd5: string;
  chunkMd5s: readonly string[];
  upcoming: () => readonly number[];
  /** Chunks per chunkUploadUrls call, 1 to 100. */
  batchSize: number;
  timeoutMs: number;
  fetch: Fetch;
}

/** Sends each chunk's bytes to a URL the server hands out for it (chunkUploadUrls): any 2xx answer means stored. */
export class UrlTransport implements ChunkTransport {
  private readonly book: ChunkUrlBook;

  constructor(private readonly options: UrlTransportOptions) {
    const { api, fileMd5, chunkMd5s, upcoming, batchSize } = options;
    this.book = new ChunkUrlBook(api, fileMd5, chunkMd5s, upcoming, Math.min(100, Math.max(1, batchSize)));
  }

  async send(chunk: ChunkToSend, signal: AbortSignal): Promise<void> {
    const target = await this.book.urlFor(chunk.index, signal);
    const headers = new Headers();
    for (const { name, value } of target.headers)
      if (!FETCH_OWNED_HEADERS.has(name.toLowerCase())) headers.append(name, value);
    const response = await fetchWithDeadline(
      this.options.fetch,
      target.url,
      { method: target.method, headers, body: chunk.bytes as Uint8Array<ArrayBuffer> },
      signal,
      this.options.timeoutMs,
    );
    const text = await readBody(response, target.url, signal);
    if (response.ok) return;
    if (response.status === 403) {
      // Expired early (a slow clock, a long queue) or revoked: a new URL is asked for before the chunk goes again.
      this.book.refused(chunk.index);
      throw new UploadError(
        `The upload URL of chunk ${chunk.index} was refused (HTTP 403); a new one is asked for.`,
        'HTTP_ERROR',
        { status: 403, reason: 'CHUNK_URL_REFUSED', extensions: refusalOf(text) },
      );
    }
    const refusal = refusalOf(text);
    throw new UploadError(
      refusal.message ?? `Chunk ${chunk.index} was refused with HTTP ${response.status}.`,
      refusal.code ?? 'HTTP_ERROR',
      {
        status: response.status,
        reason: refusal.reason,
        extensions: refusal,
        retryAfterSeconds: retryAfterSeconds(response),
      },
    );
  }
}

/**
 * What a chunk URL's refusal says: the platform's JSON (`{ error: { code, reason, message } }`,
 * or a plain `{ error }`, or GraphQL-style `errors`), or S3's XML error.
 */
function refusalOf(text: string): { message?: string; code?: string; reason?: string } {
  const string = (value: unknown) => (typeof value === 'string' ? value : undefined);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
    const code = tag('Code');
    // S3 names the problem in Code (BadDigest, EntityTooSmall, ...): kept as the reason, so BadDigest is retried as a damaged chunk.
    return code ? { message: `${tag('Message') ?? 'The object store refused the chunk'} (${code})`, reason: code } : {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const { error, errors, message, code, reason } = body as Record<string, unknown>;
  const detail = Array.isArray(errors)
    ? { ...(errors[0] as Record<string, unknown>), ...((errors[0] as { extensions?: object })?.extensions ?? {}) }
    : typeof error === 'object' && error !== null
      ? (error as Record<string, unknown>)
      : { message: error ?? message, code, reason };
  return { message: string(detail.message), code: string(detail.code), reason: string(detail.reason) };
}
