import type { UploadApi } from '../upload-api.js';
import type { ChunkToSend, ChunkTransport } from './chunk-transport.js';

/** Sends each chunk to the GraphQL endpoint as an `uploadChunk` multipart request. */
export class MultipartTransport implements ChunkTransport {
  constructor(
    private readonly api: UploadApi,
    private readonly fileMd5: string,
  ) {}

  send(chunk: ChunkToSend, signal: AbortSignal): Promise<void> {
    return this.api.uploadChunk(
      {
        fileMd5: this.fileMd5,
        index: chunk.index,
        chunkMd5: chunk.md5,
        blob: new Blob([chunk.bytes as Uint8Array<ArrayBuffer>]),
      },
      signal,
    );
  }
}
