import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hashing reads use 1 MiB blocks: with the stream default of 64 KiB, a read-and-hash pass takes about twice as long. */
export const HASH_READ_BLOCK = 1024 * 1024;

/** MD5 (hex) of a file, or of `length` bytes of it from `offset`, read as a stream. */
export async function md5OfFile(path: string, range?: { offset: number; length: number }): Promise<string> {
  const hash = createHash('md5');
  const span = range ? { start: range.offset, end: range.offset + range.length - 1 } : {};
  for await (const block of createReadStream(path, {
    ...span,
    highWaterMark: HASH_READ_BLOCK,
  }) as AsyncIterable<Buffer>)
    hash.update(block);
  return hash.digest('hex');
}
