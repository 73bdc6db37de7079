import type { UploadSource } from '../upload-source.js';
import type { FileHasher } from './file-hasher.js';
import { inlineHasher } from './inline-hasher.js';
import { digestOnTwoWorkers, rangeMd5OnWorker, type WorkerHashing } from './worker-hashing.js';
import { type HashWorker, WorkerUnavailable } from './worker-job.js';

export interface BrowserWorkerHasherOptions {
  /**
   * Where the module worker script is, when a bundler moved it: `hash-worker.js` beside this
   * module by default (bundlers that understand `new URL(..., import.meta.url)` follow it).
   */
  workerUrl?: string | URL;
}

/**
 * Hashes in module Web Workers, off the page's main thread: a file's digest on two at once (its
 * MD5 and its chunks' MD5s), a range on one. Where no worker can start (no `Worker`, a content
 * security policy that forbids it, a script that fails to load) it hashes inline instead, and
 * stops trying workers.
 */
export function browserWorkerHasher(options: BrowserWorkerHasherOptions = {}): FileHasher {
  let unavailable = typeof Worker !== 'function';

  const start = (): HashWorker => {
    const worker = options.workerUrl
      ? new Worker(options.workerUrl, { type: 'module', name: 'learnhub-upload-hash' })
      : new Worker(new URL('./hash-worker.js', import.meta.url), { type: 'module', name: 'learnhub-upload-hash' });
    return {
      post: (request) => worker.postMessage(request),
      listen: (onReply, onFailure) => {
        worker.onmessage = (event) => onReply(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          onFailure(new Error(event.message || 'the hashing worker failed to load'));
        };
        worker.onmessageerror = () => onFailure(new Error('a message from the hashing worker could not be read'));
      },
      terminate: () => worker.terminate(),
    };
  };

  async function onWorkers<T>(
    source: UploadSource,
    signal: AbortSignal,
    work: (hashing: WorkerHashing<Blob>) => Promise<T>,
    inline: () => Promise<T>,
  ): Promise<T> {
    // Only a real Blob (a File) can be posted to a worker; anything else shaped like one is read here.
    if (unavailable || !(source instanceof Blob)) return inline();
    try {
      return await work({ start, source, signal });
    } catch (error) {
      if (!(error instanceof WorkerUnavailable)) throw error;
      unavailable = true;
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
