import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A real video of about `size` bytes: `base` (an MP4) with an MP4 `free` box after it, filled
 * with bytes derived from `seed`, so ffprobe still reads it and each seed gives its own file.
 */
export function paddedVideo(base: Buffer, size: number, seed: string): Buffer {
  const padding = Buffer.alloc(Math.max(8, size - base.length));
  padding.writeUInt32BE(padding.length, 0);
  padding.write('free', 4, 'latin1');
  let block = createHash('sha512').update(seed).digest();
  for (let at = 8; at < padding.length; at += block.length) {
    block.copy(padding, at);
    block = createHash('sha512').update(block).digest();
  }
  return Buffer.concat([base, padding]);
}

/** Writes a padded copy of the video at `basePath` into `dir` and answers its path and bytes. */
export async function writePaddedVideo(
  dir: string,
  name: string,
  basePath: string,
  size: number,
  seed = name,
): Promise<{ path: string; bytes: Buffer; md5: string }> {
  const bytes = paddedVideo(await readFile(basePath), size, seed);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes, md5: createHash('md5').update(bytes).digest('hex') };
}
