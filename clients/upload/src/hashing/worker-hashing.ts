import type { FileDigests } from './chunked-digest.js';
import type { HashRequest } from './hash-messages.js';
import { type HashWorker, runHashJob } from './worker-job.js';

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
