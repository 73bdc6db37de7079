import type { FileHasher } from './file-hasher.js';
import { digestSource, rangeMd5Of } from './read-and-hash.js';

/** Hashes on the calling thread: where no worker can be started (or none is wanted). */
export const inlineHasher: FileHasher = {
  digest: (source, chunkSize, onProgress, signal) => digestSource(source, chunkSize, { onProgress, signal }),
  rangeMd5: (source, offset, length, signal) => rangeMd5Of(source, offset, length, { signal }),
};
