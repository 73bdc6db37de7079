import type { UploadSource } from '../upload-source.js';
import type { FileDigests } from './chunked-digest.js';

/** Hashes what an upload needs; where the work runs (this thread, a Web Worker, a worker thread) is the hasher's choice. */
export interface FileHasher {
  /** The MD5 of the whole source and of each `chunkSize` chunk, in one read; `onProgress` gets the bytes hashed so far. */
  digest(
    source: UploadSource,
    chunkSize: number,
    onProgress: (hashedBytes: number) => void,
    signal: AbortSignal,
  ): Promise<FileDigests>;
  /** The MD5 of `length` bytes from `offset` (a possession proof, or a chunk checked again). */
  rangeMd5(source: UploadSource, offset: number, length: number, signal: AbortSignal): Promise<string>;
}
