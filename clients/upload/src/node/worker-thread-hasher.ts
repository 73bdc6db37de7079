import { Worker } from 'node:worker_threads';
import type { FileHasher } from '../hashing/file-hasher.js';
import { workerHasher } from '../hashing/worker-hashing.js';
import type { HashWorker } from '../hashing/worker-job.js';
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
  return workerHasher(startThread, pathOf, false);
}
