import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { multipartRequest, type MultipartRequest } from '@learnhub/platform/http';
import { HASH_READ_BLOCK, md5OfFile } from '@learnhub/platform/hashing';
import { post, type PostResponse } from '@learnhub/platform/http';

/*
 * A client for the resumable chunked upload (checkFile → uploadChunk … → mergeChunks), over plain
 * HTTP. The file is never held whole: its MD5 (and its chunks') are computed in one streaming
 * read, and each chunk is read from disk only when it is sent, so memory stays at `concurrency`
 * chunk buffers.
 */

export interface UploadProgress {
  /** Bytes stored on the server so far, counting chunks stored by an earlier attempt. */
  uploadedBytes: number;
  totalBytes: number;
  uploadedChunks: number;
  chunkTotal: number;
}

export interface UploadFileOptions {
  /** The GraphQL endpoint, e.g. `https://example.org/graphql`. */
  endpoint: string;
  /** A bearer token of a member of the organisation that gets the file. */
  token: string;
  /** The file on disk. */
  path: string;
  /** The name stored with the file; defaults to the file's base name. */
  fileName?: string;
  /** Chunks sent at once; default 4. */
  concurrency?: number;
  /**
   * The server's chunk size, when known (default 5 MiB, the server's default): the chunks' MD5s
   * are then computed in the same read of the file as its own MD5, instead of once more while
   * sending. Any other size the server answers with works too, hashing each chunk as it is sent.
   */
  chunkSize?: number;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Further attempts per request after a network error, a server error or a damaged chunk; default 3. */
  retries?: number;
  /** Delay before the first retry; it doubles with each further one (with jitter). Default 250 ms. */
  retryDelayMs?: number;
  /** How long one request may go unanswered before it counts as a network error (and is retried); default 120 s. */
  requestTimeoutMs?: number;
  /**
   * How long to keep asking while the server says another request is merging the upload
   * (UPLOAD_MERGING), beyond `retries`: a big file's merge, or one a server crash left until its
   * lease runs out (UPLOAD_MERGE_LEASE_SECONDS). Default 10 minutes.
   */
  mergeWaitMs?: number;
  tags?: string;
  remark?: string;
}

/** The media item the upload produced (a subset of the schema's `Media`). */
export interface UploadedMedia {
  id: string;
  fileMd5: string;
  fileName: string;
  type: string;
  mimeType: string;
  /** BigInt in the schema: a number or a numeric string. */
  size: number | string;
  url: string;
  organisationId: string;
  tags: string | null;
  remark: string | null;
}

export interface UploadResult {
  media: UploadedMedia;
  /** Chunks an earlier attempt had already stored, which were not sent again (0 for an instant upload). */
  reusedChunks: number;
  /** True when nothing was uploaded: the file was already stored (possibly after a proof of possession). */
  instant: boolean;
}

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; reason?: string; [key: string]: unknown };
}

/** A failed upload step, with the GraphQL error's code and reason when the server gave one. */
export class ChunkedUploadError extends Error {
  constructor(
    message: string,
    /** The GraphQL `extensions.code` (e.g. BAD_USER_INPUT), or NETWORK_ERROR / HTTP_ERROR / ABORTED. */
    readonly code: string,
    readonly reason?: string,
    /** The HTTP status, when a response arrived. */
    readonly status?: number,
    /** All of the first GraphQL error's extensions (e.g. `missing` for CHUNKS_MISSING). */
    readonly extensions: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChunkedUploadError';
  }

  /** Worth another attempt: the request may well succeed when sent again unchanged. */
  get retryable(): boolean {
    if (this.code === 'ABORTED') return false;
    if (this.code === 'NETWORK_ERROR' || this.code === 'INTERNAL') return true;
    // Another request is merging the upload (asked again, it gives that merge's result), or an earlier copy of the chunk is still arriving.
    if (
      this.reason === 'CHUNK_CHECKSUM_MISMATCH' ||
      this.reason === 'UPLOAD_MERGING' ||
      this.reason === 'CHUNK_UPLOADING'
    )
      return true;
    return this.status !== undefined && (this.status >= 500 || this.status === 429) && this.code === 'HTTP_ERROR';
  }
}

interface UploadStatus {
  state: string;
  chunkSize: number;
  chunkTotal: number | null;
  uploadedChunks: number[];
  missingChunks: number[];
}

interface FileCheck {
  exists: boolean;
  media: UploadedMedia | null;
  upload: UploadStatus | null;
  proof: { offset: number | string; length: number } | null;
}

const MEDIA_FIELDS = 'id fileMd5 fileName type mimeType size url organisationId tags remark';
const STATUS_FIELDS = 'state chunkSize chunkTotal uploadedChunks missingChunks';
const CHECK_FILE = `mutation CheckFile($input: CheckFileInput!) {
  checkFile(input: $input) { exists media { ${MEDIA_FIELDS} } upload { ${STATUS_FIELDS} } proof { offset length } }
}`;
const UPLOAD_CHUNK = `mutation UploadChunk($input: UploadChunkInput!) { uploadChunk(input: $input) { state } }`;
const MERGE_CHUNKS = `mutation MergeChunks($input: MergeChunksInput!) { mergeChunks(input: $input) { ${MEDIA_FIELDS} } }`;

const DEFAULT_CHUNK_SIZE = 5 * 1024 * 1024;

/** The MD5 of a whole file and of each of its `chunkSize` chunks, from one read. */
export async function fileDigests(path: string, chunkSize: number): Promise<{ fileMd5: string; chunkMd5s: string[] }> {
  const whole = createHash('md5');
  const chunkMd5s: string[] = [];
  let chunk = createHash('md5');
  let inChunk = 0;
  for await (const block of createReadStream(path, { highWaterMark: HASH_READ_BLOCK }) as AsyncIterable<Buffer>) {
    whole.update(block);
    for (let at = 0; at < block.length; ) {
      const take = Math.min(block.length - at, chunkSize - inChunk);
      chunk.update(block.subarray(at, at + take));
      at += take;
      inChunk += take;
      if (inChunk === chunkSize) {
        chunkMd5s.push(chunk.digest('hex'));
        chunk = createHash('md5');
        inChunk = 0;
      }
    }
  }
  if (inChunk > 0) chunkMd5s.push(chunk.digest('hex'));
  return { fileMd5: whole.digest('hex'), chunkMd5s };
}

/** Fills `buffer` (whose length is the chunk's) with the bytes at `position`. */
async function readExactly(file: FileHandle, position: number, buffer: Buffer): Promise<Buffer> {
  const length = buffer.length;
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0)
      throw new Error(
        `The file ended at ${position + filled} bytes while reading a chunk; did it change during the upload?`,
      );
    filled += bytesRead;
  }
  return buffer;
}

function abortError(signal: AbortSignal): ChunkedUploadError {
  return new ChunkedUploadError(
    'The upload was aborted.',
    'ABORTED',
    undefined,
    undefined,
    {},
    { cause: signal.reason },
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sends one GraphQL request (a JSON body, or a multipart one with its content type) and returns `data.<field>`. */
async function send<T>(
  endpoint: string,
  token: string,
  body: string | MultipartRequest,
  field: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (typeof body === 'string') headers['content-type'] = 'application/json';
  else {
    headers['content-type'] = body.contentType;
    headers['apollo-require-preflight'] = 'true';
  }
  let response: PostResponse;
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    response = await post(endpoint, headers, typeof body === 'string' ? body : body.body, {
      signal: AbortSignal.any([signal, deadline]),
    });
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    const why = deadline.aborted ? `no answer within ${timeoutMs / 1000} s` : (error as Error).message;
    throw new ChunkedUploadError(
      `Could not reach ${endpoint}: ${why}`,
      'NETWORK_ERROR',
      undefined,
      undefined,
      {},
      { cause: error },
    );
  }
  let payload: { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[] };
  try {
    payload = JSON.parse(response.body.toString('utf8')) as typeof payload;
  } catch (error) {
    throw new ChunkedUploadError(
      `${endpoint} answered HTTP ${response.status} without a GraphQL body.`,
      'HTTP_ERROR',
      undefined,
      response.status,
      {},
      { cause: error },
    );
  }
  const [first] = payload.errors ?? [];
  if (first) {
    const extensions = first.extensions ?? {};
    const code = extensions.code ?? (response.status >= 500 ? 'HTTP_ERROR' : 'UNKNOWN');
    throw new ChunkedUploadError(first.message, code, extensions.reason, response.status, extensions);
  }
  const value = payload.data?.[field];
  if (response.status >= 300 || value === undefined || value === null) {
    throw new ChunkedUploadError(
      `${endpoint} answered HTTP ${response.status} without ${field}.`,
      'HTTP_ERROR',
      undefined,
      response.status,
    );
  }
  return value as T;
}

/** Runs `attempt` until it succeeds, retrying errors that are worth it, with exponential backoff and jitter. */
async function withRetries<T>(
  attempt: () => Promise<T>,
  retries: number,
  delayMs: number,
  signal: AbortSignal,
  mergeWaitMs = 0,
): Promise<T> {
  let mergeDeadline: number | undefined;
  for (let failures = 0; ; ) {
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      // Another merge of this upload (or one a crash left, until its lease ends) is not a failure: it is asked again until the merge wait runs out.
      if (
        error instanceof ChunkedUploadError &&
        error.reason === 'UPLOAD_MERGING' &&
        Date.now() < (mergeDeadline ??= Date.now() + mergeWaitMs)
      ) {
        await sleep(Math.min(1_000, delayMs * 4), signal);
        continue;
      }
      const retryable = error instanceof ChunkedUploadError && error.retryable;
      if (!retryable || failures >= retries) throw error;
      await sleep(delayMs * 2 ** failures++ * (0.5 + Math.random()), signal);
    }
  }
}

/**
 * Uploads the file at `options.path` with the resumable chunked upload and returns its media item.
 * Calling it again after a crash resumes: only the chunks the server lacks are sent.
 */
export async function uploadFile(options: UploadFileOptions): Promise<UploadResult> {
  const { endpoint, token, path } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const retries = Math.max(0, Math.floor(options.retries ?? 3));
  const retryDelayMs = options.retryDelayMs ?? 250;
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const fileName = options.fileName ?? basename(path);
  // One failed chunk stops the others; the caller's signal stops everything.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const json = <T>(query: string, variables: object, field: string, mergeWaitMs?: number) =>
    withRetries(
      () => send<T>(endpoint, token, JSON.stringify({ query, variables }), field, signal, timeoutMs),
      retries,
      retryDelayMs,
      signal,
      mergeWaitMs,
    );

  const fileSize = (await stat(path)).size;
  const hinted = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const { fileMd5, chunkMd5s } = await fileDigests(path, hinted);
  if (signal.aborted) throw abortError(signal);

  const identity = { fileMd5, fileName, fileSize };
  let check = await json<FileCheck>(CHECK_FILE, { input: identity }, 'checkFile');
  if (check.proof) {
    const rangeMd5 = await md5OfFile(path, { offset: Number(check.proof.offset), length: check.proof.length });
    check = await json<FileCheck>(CHECK_FILE, { input: { ...identity, proof: { rangeMd5 } } }, 'checkFile');
  }
  if (check.exists && check.media) return { media: check.media, reusedChunks: 0, instant: true };
  if (!check.upload || check.upload.chunkTotal === null) {
    throw new ChunkedUploadError('checkFile opened no upload.', 'UNKNOWN');
  }

  const { chunkSize, chunkTotal, missingChunks } = { ...check.upload, chunkTotal: check.upload.chunkTotal };
  const sizeOf = (index: number) => (index < chunkTotal - 1 ? chunkSize : fileSize - chunkSize * (chunkTotal - 1));
  const reusedChunks = chunkTotal - missingChunks.length;
  const progress: UploadProgress = {
    uploadedBytes: fileSize - missingChunks.reduce((sum, index) => sum + sizeOf(index), 0),
    totalBytes: fileSize,
    uploadedChunks: reusedChunks,
    chunkTotal,
  };
  options.onProgress?.({ ...progress });

  const file = await open(path, 'r');
  try {
    const queue = [...missingChunks];
    const sendChunk = async (index: number, buffer: Buffer) => {
      const bytes = await readExactly(file, index * chunkSize, buffer.subarray(0, sizeOf(index)));
      const chunkMd5 = chunkSize === hinted ? chunkMd5s[index] : createHash('md5').update(bytes).digest('hex');
      const form = multipartRequest(
        { query: UPLOAD_CHUNK, variables: { input: { fileMd5, index, chunkMd5, chunk: null } } },
        { 0: ['variables.input.chunk'] },
        [{ field: '0', filename: `${fileMd5}.${index}`, mimetype: 'application/octet-stream', content: [bytes] }],
      );
      await send(endpoint, token, form, 'uploadChunk', signal, timeoutMs);
    };
    const worker = async () => {
      // One buffer per worker, refilled for each of its chunks.
      const buffer = Buffer.allocUnsafe(chunkSize);
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        const chunk = index;
        await withRetries(() => sendChunk(chunk, buffer), retries, retryDelayMs, signal);
        progress.uploadedBytes += sizeOf(chunk);
        progress.uploadedChunks += 1;
        options.onProgress?.({ ...progress });
      }
    };
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, () =>
      worker().catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    );
    const results = await Promise.allSettled(workers);
    // The first failure is the cause; the others are mostly the abort it triggered.
    const failed = results.find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && !(r.reason instanceof ChunkedUploadError && r.reason.code === 'ABORTED'),
    );
    const aborted = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed ?? aborted) throw (failed ?? aborted)!.reason;
  } finally {
    await file.close();
  }

  // Merging is idempotent, so a merge whose answer was lost can simply be sent again.
  const media = await json<UploadedMedia>(
    MERGE_CHUNKS,
    { input: { fileMd5, fileName, chunkTotal, tags: options.tags, remark: options.remark } },
    'mergeChunks',
    options.mergeWaitMs ?? 600_000,
  );
  return { media, reusedChunks, instant: false };
}
