import type { UploadSource } from '../upload-source.js';
import type { FileDigests } from './chunked-digest.js';
import type { FileHasher } from './file-hasher.js';
import type { HashRequest } from './hash-messages.js';
import { inlineHasher } from './inline-hasher.js';
import { type HashWorker, runHashJob, WorkerUnavailable } from './worker-job.js';

/**
 * A FileHasher on the workers `start` makes: a digest on two at once, a range on one. A source
 * `sourceOf` cannot hand a worker (undefined), or any source once a worker could not start, is
 * hashed inline; with `remember`, workers are not tried again after one could not start.
 */
export function workerHasher<Source>(
  start: () => HashWorker,
  sourceOf: (source: UploadSource) => Source | undefined,
  remember: boolean,
): FileHasher {
  let unavailable = false;
  async function onWorkers<T>(
    source: UploadSource,
    signal: AbortSignal,
    work: (hashing: WorkerHashing<Source>) => Promise<T>,
    inline: () => Promise<T>,
  ): Promise<T> {
    const handed = unavailable ? undefined : sourceOf(source);
    if (handed === undefined) return inline();
    try {
      return await work({ start, source: handed, signal });
    } catch (error) {
      if (!(error instanceof WorkerUnavailable)) throw error;
      unavailable = remember;
      return inline();
    }
  }

  return {
    digest: (source, chunkSize, onProgress, signal) =>
      onWorkers(
        source,
        signal,
        (hashing) => digestOnTwoWorkers(hashing, source.size, chunkSize, onProgress),
        () => inlineHasher.digest(source, chunkSize, onProgress, signal),
      ),
    rangeMd5: (source, offset, length, signal) =>
      onWorkers(
        source,
        signal,
        (hashing) => rangeMd5OnWorker(hashing, offset, length),
        () => inlineHasher.rangeMd5(source, offset, length, signal),
      ),
  };
}

/** Hashing on workers that `start` makes, one job a worker; a worker that cannot start fails it with WorkerUnavailable. */
export interface WorkerHashing<Source> {
  start: () => HashWorker;
  source: Source;
  signal: AbortSignal;
}

/**
 * The MD5 of the whole source on one worker and those of its chunks on another, at once: two MD5
 * passes over every byte that cannot be made one, so two cores finish them in the time of one
 * (each worker reads the file itself; a stream read costs little beside an MD5). Progress is what
 * both have hashed. The first failure ends both workers and is the answer.
 */
export async function digestOnTwoWorkers<Source>(
  { start, source, signal }: WorkerHashing<Source>,
  size: number,
  chunkSize: number,
  onProgress: (hashedBytes: number) => void,
): Promise<FileDigests> {
  const both = new AbortController();
  const stop = () => both.abort(signal.reason);
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  let failure: unknown;
  const hashed = [0, 0];
  let reported = 0;
  const job = (which: 0 | 1, request: HashRequest<Source>) =>
    runHashJob(
      start,
      request,
      (bytes) => {
        hashed[which] = bytes;
        const done = Math.min(...hashed);
        if (done > reported) onProgress((reported = done));
      },
      both.signal,
    ).catch((error: unknown) => {
      failure ??= error;
      both.abort();
      throw failure;
    });
  try {
    const [whole, chunks] = await Promise.all([
      job(0, { op: 'range', source, offset: 0, length: size }),
      job(1, { op: 'chunks', source, chunkSize }),
    ]);
    if (whole.type !== 'range' || chunks.type !== 'chunks') return unexpected();
    return { fileMd5: whole.md5, chunkMd5s: chunks.chunkMd5s, chunkSize };
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** The MD5 of `length` bytes of the source from `offset`, on a worker. */
export async function rangeMd5OnWorker<Source>(
  { start, source, signal }: WorkerHashing<Source>,
  offset: number,
  length: number,
): Promise<string> {
  const reply = await runHashJob(start, { op: 'range', source, offset, length }, () => undefined, signal);
  return reply.type === 'range' ? reply.md5 : unexpected();
}

function unexpected(): never {
  throw new Error('a hashing worker answered a different request');
}
