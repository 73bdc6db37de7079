// A module Web Worker that hashes a File (or Blob) posted to it, so a page stays responsive while a large video is hashed.
import { answerHashRequest } from './worker-job.js';
import type { HashReply, HashRequest } from './hash-messages.js';
import { chunkMd5sOf, rangeMd5Of } from './read-and-hash.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<HashRequest<Blob>>) => void) | null;
  postMessage(message: HashReply): void;
}
const scope = globalThis as unknown as WorkerScope;

/** A posted Blob as an upload source: only its bytes are read here. */
const sourceOf = (blob: Blob) => ({ name: '', lastModified: 0, size: blob.size, slice: blob.slice.bind(blob) });

scope.onmessage = (event) => {
  void answerHashRequest(
    event.data,
    {
      chunks: (blob, chunkSize, onProgress) => chunkMd5sOf(sourceOf(blob), chunkSize, { onProgress }),
      range: (blob, offset, length, onProgress) => rangeMd5Of(sourceOf(blob), offset, length, { onProgress }),
    },
    (message) => scope.postMessage(message),
  );
};
