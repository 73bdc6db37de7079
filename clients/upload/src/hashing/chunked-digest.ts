import { createMD5, type IHasher } from 'hash-wasm';

/** The MD5 (hex) of a whole file and of each of its chunks. */
export interface FileDigests {
  fileMd5: string;
  /** Chunk `i` covers bytes [i × chunkSize, (i + 1) × chunkSize) of the file. */
  chunkMd5s: string[];
  chunkSize: number;
}

/** The MD5 of each `chunkSize` chunk of bytes fed in order, in blocks of any size. Holds no bytes, only a hasher's state. */
export class ChunkMd5s {
  private readonly md5s: string[] = [];
  private inChunk = 0;

  private constructor(
    private readonly hasher: IHasher,
    readonly chunkSize: number,
  ) {}

  static async create(chunkSize: number): Promise<ChunkMd5s> {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
      throw new RangeError(`chunk size ${chunkSize} is not a positive whole number`);
    const hasher = await createMD5();
    hasher.init();
    return new ChunkMd5s(hasher, chunkSize);
  }

  update(block: Uint8Array): void {
    for (let at = 0; at < block.length; ) {
      const take = Math.min(block.length - at, this.chunkSize - this.inChunk);
      this.hasher.update(block.subarray(at, at + take));
      at += take;
      this.inChunk += take;
      if (this.inChunk === this.chunkSize) {
        this.md5s.push(this.hasher.digest('hex'));
        this.hasher.init();
        this.inChunk = 0;
      }
    }
  }

  finish(): string[] {
    if (this.inChunk > 0) this.md5s.push(this.hasher.digest('hex'));
    this.inChunk = 0;
    return [...this.md5s];
  }
}

/**
 * Hashes a file and each of its `chunkSize` chunks at once, from blocks of any size fed in order:
 * one read of the file gives both. Holds no bytes, only the two hashers' states.
 */
export class ChunkedDigest {
  private constructor(
    private readonly whole: IHasher,
    private readonly chunks: ChunkMd5s,
  ) {}

  static async create(chunkSize: number): Promise<ChunkedDigest> {
    const chunks = await ChunkMd5s.create(chunkSize);
    const whole = await createMD5();
    whole.init();
    return new ChunkedDigest(whole, chunks);
  }

  update(block: Uint8Array): void {
    this.whole.update(block);
    this.chunks.update(block);
  }

  finish(): FileDigests {
    return { fileMd5: this.whole.digest('hex'), chunkMd5s: this.chunks.finish(), chunkSize: this.chunks.chunkSize };
  }
}
