import type { FileHasher } from './file-hasher.js';
import { workerHasher } from './worker-hashing.js';
import type { HashWorker } from './worker-job.js';

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
  const hasWorkers = typeof Worker === 'function';

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

  // Only a real Blob (a File) can be posted to a worker; anything else shaped like one is read here.
  return workerHasher(start, (source) => (hasWorkers && source instanceof Blob ? source : undefined), true);
}
