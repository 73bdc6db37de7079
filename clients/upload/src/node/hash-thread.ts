// A worker thread that hashes a file by its path, so a CLI's progress bars keep moving while a large video is hashed.
import { parentPort } from 'node:worker_threads';
import type { HashReply, HashRequest } from '../hashing/hash-messages.js';
import { chunkMd5sOf, rangeMd5Of } from '../hashing/read-and-hash.js';
import { answerHashRequest } from '../hashing/worker-job.js';
import { openFile } from './file-source.js';
import { fileBlocks } from './hash-file-blocks.js';

parentPort?.on('message', (request: HashRequest<string>) => {
  void answerHashRequest(
    request,
    {
      chunks: async (path, chunkSize, onProgress) =>
        chunkMd5sOf(await openFile(path), chunkSize, { onProgress, blocks: fileBlocks(path) }),
      range: async (path, offset, length, onProgress) =>
        rangeMd5Of(await openFile(path), offset, length, { onProgress, blocks: fileBlocks(path) }),
    },
    (reply: HashReply) => parentPort?.postMessage(reply),
  );
});
