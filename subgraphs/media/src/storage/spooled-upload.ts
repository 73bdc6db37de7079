import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { payloadTooLarge } from '@learnhub/platform/errors';

/** An upload written to a temporary file, with what was learnt while streaming it. */
export interface SpooledUpload {
  path: string;
  size: number;
  md5: string;
  head: Buffer;
  /** Removes the temporary file; safe to call more than once. */
  discard(): Promise<void>;
}

/**
 * Streams `source` to a temporary file while hashing it and keeping its first bytes, so the
 * file is never held in memory and its MD5 and type are known before it is stored.
 */
export async function spool(
  source: Readable,
  dir: string,
  maxBytes: number,
  headBytes: number,
): Promise<SpooledUpload> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `upload-${randomUUID()}`);
  const hash = createHash('md5');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(payloadTooLarge(`The file is larger than the ${maxBytes}-byte limit.`));
      hash.update(chunk);
      if (headLength < headBytes) {
        headChunks.push(chunk.subarray(0, headBytes - headLength));
        headLength += Math.min(chunk.length, headBytes - headLength);
      }
      done(null, chunk);
    },
  });
  const discard = () => rm(path, { force: true });
  try {
    await pipeline(source, measure, createWriteStream(path));
  } catch (error) {
    await discard();
    throw error;
  }
  return { path, size, md5: hash.digest('hex'), head: Buffer.concat(headChunks), discard };
}
