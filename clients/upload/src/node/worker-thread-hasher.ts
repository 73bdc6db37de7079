import { Worker } from 'node:worker_threads';
import type { FileHasher } from '../hashing/file-hasher.js';
import { inlineHasher } from '../hashing/inline-hasher.js';
import { digestOnTwoWorkers, rangeMd5OnWorker, type WorkerHashing } from '../hashing/worker-hashing.js';
import { type HashWorker, WorkerUnavailable } from '../hashing/worker-job.js';
import type { UploadSource } from '../upload-source.js';

const pathOf = (source: UploadSource): string | undefined => {
  const path = (source as { path?: unknown }).path;
  return typeof path === 'string' ? path : undefined;
};

function startThread(): HashWorker {
  const worker = new Worker(new URL('./hash-thread.js', import.meta.url));
  return {
    post: (request) => worker.postMessage(request),
    listen: (onReply, onFailure) => {
      worker.on('message', onReply);
      worker.on('error', onFailure);
      worker.on('exit', (code) => onFailure(new Error(`the hashing thread exited (${code})`)));
    },
    terminate: () => void worker.terminate(),
  };
}

/**
 * Hashes files opened with `openFile` in worker threads that read them by path: a digest on two at
 * once (the file's MD5 and its chunks' MD5s), a range on one. Other sources, or threads that
 * cannot start, are hashed inline.
 */
export function workerThreadHasher(): FileHasher {
  async function onThreads<T>(
    source: UploadSource,
    signal: AbortSignal,
    work: (hashing: WorkerHashing<string>) => Promise<T>,
    inline: () => Promise<T>,
  ): Promise<T> {
    const path = pathOf(source);
    if (path === undefined) return inline();
    try {
      return await work({ start: startThread, source: path, signal });
    } catch (error) {
      if (error instanceof WorkerUnavailable) return inline();
      throw error;
    }
  }

  return {
    digest: (source, chunkSize, onProgress, signal) =>
      onThreads(
        source,
        signal,
        (hashing) => digestOnTwoWorkers(hashing, source.size, chunkSize, onProgress),
        () => inlineHasher.digest(source, chunkSize, onProgress, signal),
      ),
    rangeMd5: (source, offset, length, signal) =>
      onThreads(
        source,
        signal,
        (hashing) => rangeMd5OnWorker(hashing, offset, length),
        () => inlineHasher.rangeMd5(source, offset, length, signal),
      ),
  };
}
