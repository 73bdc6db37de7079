/**
 * What a hashing worker (a Web Worker or a Node worker thread) is asked to do: a file's chunk MD5s
 * (a digest's share beside the MD5 of the whole, which is the range of all its bytes), or a range's MD5.
 */
export type HashRequest<Source> =
  | { op: 'chunks'; source: Source; chunkSize: number }
  | { op: 'range'; source: Source; offset: number; length: number };

/** What it answers: progress while it reads, then the result or why it failed. */
export type HashReply =
  | { type: 'progress'; hashedBytes: number }
  | { type: 'chunks'; chunkMd5s: string[] }
  | { type: 'range'; md5: string }
  | { type: 'error'; name: string; code?: string; message: string };
