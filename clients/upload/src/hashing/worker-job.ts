import { abortedError, UploadError } from '../upload-error.js';
import type { HashReply, HashRequest } from './hash-messages.js';

/** A started hashing worker, whichever kind: Web Worker or Node worker thread. */
export interface HashWorker {
  post(request: HashRequest<unknown>): void;
  /** `onFailure` hears the worker failing to load or dying. */
  listen(onReply: (reply: HashReply) => void, onFailure: (error: unknown) => void): void;
  terminate(): void;
}

/** The worker could not run at all (it could not be made, or failed to load before answering): the caller hashes inline instead. */
export class WorkerUnavailable extends Error {
  constructor(cause: unknown) {
    super('the hashing worker could not start', { cause });
    this.name = 'WorkerUnavailable';
  }
}

type Done = Extract<HashReply, { type: 'chunks' } | { type: 'range' }>;

/** Runs one request on a worker `start` makes, and ends the worker afterwards; aborting ends it at once. */
export function runHashJob(
  start: () => HashWorker,
  request: HashRequest<unknown>,
  onProgress: (hashedBytes: number) => void,
  signal: AbortSignal,
): Promise<Done> {
  return new Promise<Done>((resolve, reject) => {
    if (signal.aborted) return reject(abortedError(signal));
    let worker: HashWorker;
    try {
      worker = start();
    } catch (error) {
      return reject(new WorkerUnavailable(error));
    }
    let answered = false;
    const finish = (settle: () => void) => {
      signal.removeEventListener('abort', onAbort);
      worker.terminate();
      settle();
    };
    const onAbort = () => finish(() => reject(abortedError(signal)));
    signal.addEventListener('abort', onAbort, { once: true });
    worker.listen(
      (reply) => {
        answered = true;
        if (reply.type === 'progress') return onProgress(reply.hashedBytes);
        if (reply.type === 'error') {
          return finish(() =>
            reject(
              reply.name === 'UploadError'
                ? new UploadError(reply.message, reply.code ?? 'UNEXPECTED_ANSWER')
                : new Error(`Hashing failed: ${reply.message}`),
            ),
          );
        }
        finish(() => resolve(reply));
      },
      (error) => finish(() => reject(answered ? error : new WorkerUnavailable(error))),
    );
    worker.post(request);
  });
}

/** The worker side: answers one request with `work`, reporting progress; errors travel as plain data. */
export async function answerHashRequest<Source>(
  request: HashRequest<Source>,
  work: {
    chunks: (source: Source, chunkSize: number, onProgress: (hashedBytes: number) => void) => Promise<string[]>;
    range: (
      source: Source,
      offset: number,
      length: number,
      onProgress: (hashedBytes: number) => void,
    ) => Promise<string>;
  },
  reply: (message: HashReply) => void,
): Promise<void> {
  const onProgress = (hashedBytes: number) => reply({ type: 'progress', hashedBytes });
  try {
    if (request.op === 'chunks') {
      reply({ type: 'chunks', chunkMd5s: await work.chunks(request.source, request.chunkSize, onProgress) });
    } else {
      reply({ type: 'range', md5: await work.range(request.source, request.offset, request.length, onProgress) });
    }
  } catch (error) {
    const {
      name = 'Error',
      message = String(error),
      code,
    } = error as { name?: string; message?: string; code?: string };
    reply({ type: 'error', name, message, code });
  }
}
