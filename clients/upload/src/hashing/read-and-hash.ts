import { createMD5 } from 'hash-wasm';
import type { UploadSource } from '../upload-source.js';
import { type BlockReader, sourceBlocks } from './source-blocks.js';
import { ChunkedDigest, ChunkMd5s, type FileDigests } from './chunked-digest.js';

/** How a source is read for hashing. */
export interface Reading {
  /** Told the bytes hashed so far, after each block. */
  onProgress?: (hashedBytes: number) => void;
  signal?: AbortSignal;
  /** Through the source's Blobs unless told otherwise. */
  blocks?: BlockReader;
}

async function feed(
  source: UploadSource,
  offset: number,
  end: number,
  update: (block: Uint8Array) => void,
  { onProgress, signal, blocks = sourceBlocks }: Reading,
): Promise<void> {
  let fed = 0;
  for await (const block of blocks(source, offset, end, signal)) {
    update(block);
    onProgress?.((fed += block.byteLength));
  }
}

/** Reads the source once, hashing it whole and by chunks (the work of a hasher on a single thread). */
export async function digestSource(
  source: UploadSource,
  chunkSize: number,
  reading: Reading = {},
): Promise<FileDigests> {
  const digest = await ChunkedDigest.create(chunkSize);
  await feed(source, 0, source.size, (block) => digest.update(block), reading);
  return digest.finish();
}

/** The MD5 of each chunk of the source alone: with the MD5 of its whole range, the share of a digest one worker does. */
export async function chunkMd5sOf(source: UploadSource, chunkSize: number, reading: Reading = {}): Promise<string[]> {
  const chunks = await ChunkMd5s.create(chunkSize);
  await feed(source, 0, source.size, (block) => chunks.update(block), reading);
  return chunks.finish();
}

export async function rangeMd5Of(
  source: UploadSource,
  offset: number,
  length: number,
  reading: Reading = {},
): Promise<string> {
  const hasher = await createMD5();
  hasher.init();
  await feed(source, offset, offset + length, (block) => hasher.update(block), reading);
  return hasher.digest('hex');
}
