import { browserWorkerHasher } from './hashing/browser-worker-hasher.js';
import type { FileDigests } from './hashing/chunked-digest.js';
import type { FileHasher } from './hashing/file-hasher.js';
import { inlineHasher } from './hashing/inline-hasher.js';
import { GraphQLClient } from './graphql-client.js';
import type { Fetch } from './http-request.js';
import { pageResumeStore } from './resume/local-storage-store.js';
import type { ResumeRecord, ResumeStore } from './resume/resume-store.js';
import { usableRecord } from './resume/resume-store.js';
import { type RetryPolicy, sleep, withRetries } from './retry.js';
import type { ChunkTransport, TransportName } from './transports/chunk-transport.js';
import { FallbackTransport } from './transports/fallback-transport.js';
import { MultipartTransport } from './transports/multipart-transport.js';
import { UrlTransport } from './transports/url-transport.js';
import { UploadApi, type UploadedMedia, type UploadStatus } from './upload-api.js';
import { abortedError, isUploadError, UploadError } from './upload-error.js';
import { ProgressTracker, type UploadProgress } from './upload-progress.js';
import { readRange, resumeKeyOf, type UploadSource } from './upload-source.js';

export interface UploadOptions {
  /** The GraphQL endpoint, e.g. `https://learn.example.com/graphql`. */
  endpoint: string;
  /** A bearer token of a member of the organisation that gets the file. */
  token?: string;
  /** The name stored with the file; the source's own name by default. */
  fileName?: string;
  tags?: string;
  remark?: string;
  /** How chunks travel: `urls` (default; falls back to multipart on a server without chunk URLs) or `multipart`. */
  transport?: TransportName;
  /** Chunks sent at once; default 4. */
  concurrency?: number;
  /** Chunk URLs asked for per chunkUploadUrls call (1 to 100); default 20. */
  urlBatchSize?: number;
  /** Further attempts of a request after a network error, a 5xx, a 429 or a damaged chunk; default 5. */
  retries?: number;
  /** Delay before the first retry, doubled for each further one (with jitter); default 500 ms. */
  retryDelayMs?: number;
  /** The longest delay between retries; default 30 s. */
  maxRetryDelayMs?: number;
  /** How long one request may go unanswered before it counts as a network error (and is retried); default 120 s. */
  requestTimeoutMs?: number;
  /**
   * How long to keep asking while the server says another request is merging the upload
   * (UPLOAD_MERGING): a big file's merge, or one a crashed server left until its lease ends. Default 10 minutes.
   */
  mergeWaitMs?: number;
  /**
   * The chunk size to hash with. By default the server is asked first (it also checks the token
   * before a long hash); an upload the server opened with another size hashes its chunks again.
   */
  chunkSize?: number;
  /**
   * Where unfinished uploads are remembered (their MD5s), to resume without hashing again:
   * localStorage in a browser by default; `null` for nowhere. Node: `JsonFileResumeStore` of `/node`.
   */
  resumeStore?: ResumeStore | null;
  /** Who hashes: a module Web Worker where `Worker` exists (else inline) by default; Node: `workerThreadHasher()` of `/node`. */
  hasher?: FileHasher;
  onProgress?: (progress: UploadProgress) => void;
  /** The sliding window over which `bytesPerSecond` is measured; default 10 s. */
  rateWindowMs?: number;
  /** Stops the upload; what the server holds stays there to resume, unless `discardOnAbort`. */
  signal?: AbortSignal;
  /** On abort, also give the upload up on the server (`abortUpload`) and forget it here. */
  discardOnAbort?: boolean;
  /** Things worth telling a person that are not errors (e.g. a fall back to multipart). */
  onNotice?: (message: string) => void;
  fetch?: Fetch;
}

export interface UploadResult {
  media: UploadedMedia;
  fileMd5: string;
  /** Nothing was sent: the file was already in the library, or another organisation's copy was shared after a possession proof. */
  instant: boolean;
  /** The server asked for a possession proof, and it was given. */
  proved: boolean;
  /** The MD5s came from the resume store: the file was not hashed again. */
  resumed: boolean;
  chunkTotal: number;
  /** Chunks the server already held from an earlier attempt. */
  reusedChunks: number;
  /** Chunks sent by this call. */
  sentChunks: number;
  /** How the chunks went (multipart when the server had no chunk URLs). */
  transport: TransportName;
}

const DEFAULTS = {
  concurrency: 4,
  urlBatchSize: 20,
  retries: 5,
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  requestTimeoutMs: 120_000,
  mergeWaitMs: 600_000,
  rateWindowMs: 10_000,
};
/** Rounds of sending chunks a merge found missing before giving up. */
const MISSING_CHUNK_ROUNDS = 2;

/** The hasher used when none is given: off the main thread where a Web Worker can run. */
export function defaultHasher(): FileHasher {
  return typeof Worker === 'function' ? browserWorkerHasher() : inlineHasher;
}

/**
 * Uploads `file` with the platform's resumable chunked upload and answers its media item:
 * checkFile (instant when the file is already there; a possession proof when another
 * organisation holds it), the missing chunks in parallel, then mergeChunks. Called again for the
 * same file after a crash, a reload or an abort, it resumes: only the chunks the server lacks go.
 */
export async function uploadFile(file: UploadSource, options: UploadOptions): Promise<UploadResult> {
  return new ChunkedUpload(file, options).run();
}

/** Gives up the upload of `file` on the server (abortUpload) and forgets it in the resume store; false when there was none. */
export async function discardUpload(
  file: UploadSource,
  options: Pick<
    UploadOptions,
    'endpoint' | 'token' | 'resumeStore' | 'hasher' | 'signal' | 'fetch' | 'requestTimeoutMs'
  > & {
    /** The file's MD5, when known; else taken from the resume store, else the file is hashed. */
    fileMd5?: string;
  },
): Promise<boolean> {
  const signal = options.signal ?? new AbortController().signal;
  const store = resumeStoreOf(options);
  const key = resumeKeyOf(file);
  const api = apiFor(options);
  let fileMd5 = options.fileMd5 ?? usableRecord(await store?.get(key), file.size)?.fileMd5;
  fileMd5 ??= await (options.hasher ?? defaultHasher()).rangeMd5(file, 0, file.size, signal);
  const discarded = await api.abort(fileMd5, signal);
  await store?.delete(key);
  return discarded;
}

/** The resume store the options name: the page's localStorage when none is given, none for null. */
function resumeStoreOf(options: Pick<UploadOptions, 'resumeStore'>): ResumeStore | undefined {
  return options.resumeStore === undefined ? pageResumeStore() : (options.resumeStore ?? undefined);
}

function apiFor(options: Pick<UploadOptions, 'endpoint' | 'token' | 'fetch' | 'requestTimeoutMs'>): UploadApi {
  return new UploadApi(
    new GraphQLClient({
      endpoint: options.endpoint,
      token: options.token,
      timeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      fetch: options.fetch,
    }),
  );
}

/** What sending needs to know of the server's upload. */
interface Plan {
  chunkSize: number;
  chunkTotal: number;
  missing: number[];
}

class ChunkedUpload {
  private readonly api: UploadApi;
  private readonly store: ResumeStore | undefined;
  private readonly hasher: FileHasher;
  private readonly policy: RetryPolicy;
  private readonly progress: ProgressTracker;
  private readonly key: string;
  private readonly fileName: string;
  private readonly signal: AbortSignal;
  /** Chunks waiting to be sent, in order (chunk URLs are asked for in this order). */
  private readonly pending: number[] = [];
  /** Chunks being sent now. */
  private readonly inFlight = new Set<number>();
  private digests?: FileDigests;
  private transportUsed: TransportName;
  private transport?: ChunkTransport;

  constructor(
    private readonly file: UploadSource,
    private readonly options: UploadOptions,
  ) {
    this.api = apiFor(options);
    this.store = resumeStoreOf(options);
    this.hasher = options.hasher ?? defaultHasher();
    this.policy = {
      retries: Math.max(0, Math.floor(options.retries ?? DEFAULTS.retries)),
      baseDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
      maxDelayMs: options.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs,
    };
    this.progress = new ProgressTracker(file.size, options.onProgress, options.rateWindowMs ?? DEFAULTS.rateWindowMs);
    this.key = resumeKeyOf(file);
    this.fileName = options.fileName ?? file.name;
    this.signal = options.signal ?? new AbortController().signal;
    this.transportUsed = options.transport ?? 'urls';
  }

  async run(): Promise<UploadResult> {
    if (this.file.size < 1)
      throw new UploadError(`${this.fileName} is empty: there is nothing to upload.`, 'EMPTY_FILE');
    try {
      return await this.upload();
    } catch (error) {
      if (this.signal.aborted) {
        await this.discardIfAsked();
        throw abortedError(this.signal);
      }
      // The remembered MD5s do not describe the file any more: the next attempt hashes it afresh.
      if (
        isUploadError(error) &&
        (error.code === 'FILE_CHANGED' ||
          error.reason === 'FILE_CHECKSUM_MISMATCH' ||
          error.reason === 'PROOF_MISMATCH')
      )
        await this.store?.delete(this.key);
      throw error;
    }
  }

  private retried<T>(attempt: () => Promise<T>): Promise<T> {
    return withRetries(attempt, this.policy, this.signal);
  }

  private async upload(): Promise<UploadResult> {
    const remembered = usableRecord(await this.store?.get(this.key), this.file.size);
    const resumed = remembered !== undefined;
    if (remembered) this.digests = remembered;
    else await this.hash(this.options.chunkSize ?? (await this.retried(() => this.api.defaultChunkSize(this.signal))));
    const digests = this.digests!;

    // A remembered upload is asked about first: it may be half sent, merging, or done before a crash forgot to say so.
    const status = resumed ? await this.retried(() => this.api.status(digests.fileMd5, this.signal)) : undefined;
    if (status?.state === 'COMPLETED' && status.media)
      return { ...(await this.finish(status.media, status.chunkTotal ?? 0, false)), resumed };

    let plan = status && resumablePlan(status);
    let proved = false;
    if (!plan) {
      const identity = { fileMd5: digests.fileMd5, fileName: this.fileName, fileSize: this.file.size };
      let check = await this.retried(() => this.api.checkFile(identity, this.signal));
      if (check.proof) {
        const { offset, length } = check.proof;
        const rangeMd5 = await this.hasher.rangeMd5(this.file, Number(offset), length, this.signal);
        check = await this.retried(() => this.api.checkFile({ ...identity, proof: { rangeMd5 } }, this.signal));
        proved = true;
      }
      if (check.exists && check.media) return { ...(await this.finish(check.media, 0, true)), proved, resumed };
      plan = check.upload ? resumablePlan(check.upload) : undefined;
      if (!plan) throw new UploadError('checkFile neither found the file nor opened an upload.', 'UNEXPECTED_ANSWER');
    }
    // An upload the server opened with another chunk size (before a setting changed) needs the chunks hashed at that size.
    if (plan.chunkSize !== digests.chunkSize) await this.hash(plan.chunkSize);

    const reusedChunks = plan.chunkTotal - plan.missing.length;
    this.progress.uploading(
      plan.chunkTotal,
      reusedChunks,
      this.file.size - sumOf(plan.missing, (i) => this.sizeOf(i, plan)),
    );
    let sentChunks = await this.send(plan.missing, plan);

    this.progress.merging();
    for (let round = 0; ; round++) {
      try {
        const media = await this.merge(plan.chunkTotal);
        return { ...(await this.finish(media, plan.chunkTotal, false)), proved, resumed, reusedChunks, sentChunks };
      } catch (error) {
        // The server lost chunks it had taken (a damaged copy replaced one, a URL upload it never saw complete): they go again.
        const missing =
          isUploadError(error) && error.reason === 'CHUNKS_MISSING' ? error.extensions.missing : undefined;
        if (!Array.isArray(missing) || missing.length === 0 || round >= MISSING_CHUNK_ROUNDS) throw error;
        const lost = missing.filter((i): i is number => Number.isInteger(i) && i >= 0 && i < plan.chunkTotal);
        this.progress.uploading(
          plan.chunkTotal,
          plan.chunkTotal - lost.length,
          this.file.size - sumOf(lost, (i) => this.sizeOf(i, plan)),
        );
        sentChunks += await this.send(lost, plan);
        this.progress.merging();
      }
    }
  }

  private async hash(chunkSize: number): Promise<void> {
    this.progress.hashing(0);
    this.digests = await this.hasher.digest(this.file, chunkSize, (bytes) => this.progress.hashing(bytes), this.signal);
    const record: ResumeRecord = {
      ...this.digests,
      size: this.file.size,
      endpoint: this.api.endpoint,
      savedAt: new Date().toISOString(),
    };
    await this.store?.set(this.key, record);
  }

  private async finish(media: UploadedMedia, chunkTotal: number, instant: boolean): Promise<UploadResult> {
    await this.store?.delete(this.key);
    this.progress.done(chunkTotal);
    return {
      media,
      fileMd5: this.digests!.fileMd5,
      instant,
      proved: false,
      resumed: false,
      chunkTotal,
      reusedChunks: instant ? 0 : chunkTotal,
      sentChunks: 0,
      transport: this.transportUsed,
    };
  }

  private sizeOf(index: number, plan: Plan): number {
    return index < plan.chunkTotal - 1 ? plan.chunkSize : this.file.size - plan.chunkSize * (plan.chunkTotal - 1);
  }

  private transportFor(): ChunkTransport {
    if (this.transport) return this.transport;
    const { fileMd5, chunkMd5s } = this.digests!;
    const multipart = new MultipartTransport(this.api, fileMd5);
    if (this.transportUsed === 'multipart') return (this.transport = multipart);
    const urls = new UrlTransport({
      api: this.api,
      fileMd5,
      chunkMd5s,
      // Chunks just taken come first: their URLs may not have been asked for yet.
      upcoming: () => [...this.inFlight, ...this.pending],
      batchSize: this.options.urlBatchSize ?? DEFAULTS.urlBatchSize,
      timeoutMs: this.options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      fetch: this.options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    });
    return (this.transport = new FallbackTransport(urls, multipart, () => {
      this.transportUsed = 'multipart';
      this.options.onNotice?.(
        `${this.api.endpoint} offers no chunk upload URLs (chunkUploadUrls): sending chunks as multipart requests.`,
      );
    }));
  }

  /** Sends `indexes` with `concurrency` at once; the first chunk that fails for good stops the others. Answers how many went. */
  private async send(indexes: number[], plan: Plan): Promise<number> {
    const transport = this.transportFor();
    const { chunkMd5s } = this.digests!;
    this.pending.splice(0, this.pending.length, ...indexes);
    this.inFlight.clear();
    const stop = new AbortController();
    const signal = AbortSignal.any([this.signal, stop.signal]);
    let sent = 0;
    const sendOne = async (index: number) => {
      this.inFlight.add(index);
      const start = index * plan.chunkSize;
      const end = start + this.sizeOf(index, plan);
      await withRetries(
        async () =>
          transport.send({ index, md5: chunkMd5s[index], bytes: await readRange(this.file, start, end) }, signal),
        this.policy,
        signal,
        {
          // A chunk refused as damaged is hashed again: when the file itself changed, sending it again cannot help.
          beforeRetry: async (error) => {
            if (!error.damagedChunk) return;
            if ((await this.hasher.rangeMd5(this.file, start, end - start, signal)) !== chunkMd5s[index])
              throw new UploadError(
                `Chunk ${index} of ${this.fileName} no longer has the MD5 it had when hashed: the file changed. Upload it again.`,
                'FILE_CHANGED',
              );
          },
        },
      );
      this.inFlight.delete(index);
      sent += 1;
      this.progress.chunkSent(end - start);
    };
    const worker = async () => {
      for (let index = this.pending.shift(); index !== undefined; index = this.pending.shift()) await sendOne(index);
    };
    const concurrency = Math.max(1, Math.floor(this.options.concurrency ?? DEFAULTS.concurrency));
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(concurrency, indexes.length) }, () =>
        worker().catch((error: unknown) => {
          stop.abort(error);
          throw error;
        }),
      ),
    );
    // The first real failure is the cause; the others are mostly the stop it triggered.
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    const cause = failures.find((reason) => !isUploadError(reason, 'ABORTED')) ?? failures[0];
    if (cause !== undefined) throw cause;
    return sent;
  }

  /** mergeChunks, asked again while another request merges the upload, up to `mergeWaitMs`. */
  private async merge(chunkTotal: number): Promise<UploadedMedia> {
    const input = {
      fileMd5: this.digests!.fileMd5,
      fileName: this.fileName,
      chunkTotal,
      tags: this.options.tags,
      remark: this.options.remark,
    };
    const deadline = Date.now() + (this.options.mergeWaitMs ?? DEFAULTS.mergeWaitMs);
    for (;;) {
      try {
        // Merging is idempotent, so a merge whose answer was lost is simply asked again.
        return await this.retried(() => this.api.merge(input, this.signal));
      } catch (error) {
        if (!isUploadError(error) || error.reason !== 'UPLOAD_MERGING' || Date.now() >= deadline) throw error;
        await sleep(Math.min(2_000, this.policy.baseDelayMs * 4), this.signal);
      }
    }
  }

  private async discardIfAsked(): Promise<void> {
    if (!this.options.discardOnAbort || !this.digests) return;
    await this.store?.delete(this.key);
    // The caller's signal has aborted: the discard gets its own short deadline instead.
    await this.api.abort(this.digests.fileMd5, AbortSignal.timeout(30_000)).catch(() => undefined);
  }
}

/** The plan an upload status allows: chunks to send for an upload open for them, none for one merging; undefined otherwise. */
function resumablePlan(status: UploadStatus): Plan | undefined {
  if (status.chunkTotal === null) return undefined;
  if (status.state === 'UPLOADING')
    return { chunkSize: status.chunkSize, chunkTotal: status.chunkTotal, missing: [...status.missingChunks] };
  if (status.state === 'MERGING') return { chunkSize: status.chunkSize, chunkTotal: status.chunkTotal, missing: [] };
  return undefined;
}

function sumOf(items: number[], size: (item: number) => number): number {
  return items.reduce((sum, item) => sum + size(item), 0);
}
