import { type UploadOptions, type UploadResult, uploadFile } from '../upload-file.js';
import { openFile } from './file-source.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import { workerThreadHasher } from './worker-thread-hasher.js';

/**
 * Uploads the file at `path` (its base name unless `fileName`), hashing it in a worker thread and
 * sending over node:http (`nodeHttpFetch`).
 * Pass a `JsonFileResumeStore` as `resumeStore` to resume across runs without hashing again;
 * without one, a resumed upload hashes the file again and still sends only the missing chunks.
 */
export async function uploadPath(path: string, options: UploadOptions): Promise<UploadResult> {
  return uploadFile(await openFile(path), { hasher: workerThreadHasher(), fetch: nodeHttpFetch, ...options });
}
