import { UploadError } from '../upload-error.js';
import type { ChunkToSend, ChunkTransport } from './chunk-transport.js';

/**
 * Chunk URLs where the server offers them, else multipart: a server from before `chunkUploadUrls`
 * refuses the operation as unknown, and from then on every chunk of the upload goes as multipart.
 */
export class FallbackTransport implements ChunkTransport {
  private fellBack = false;

  constructor(
    private readonly preferred: ChunkTransport,
    private readonly fallback: ChunkTransport,
    private readonly onFallback?: (why: UploadError) => void,
  ) {}

  async send(chunk: ChunkToSend, signal: AbortSignal): Promise<void> {
    if (this.fellBack) return this.fallback.send(chunk, signal);
    try {
      return await this.preferred.send(chunk, signal);
    } catch (error) {
      if (!unknownOperation(error)) throw error;
      if (!this.fellBack) this.onFallback?.(error as UploadError);
      this.fellBack = true;
      return this.fallback.send(chunk, signal);
    }
  }
}

function unknownOperation(error: unknown): boolean {
  return (
    error instanceof UploadError &&
    // The gateway answers BAD_USER_INPUT with this reason; a bare Apollo server, the code itself.
    (error.code === 'GRAPHQL_VALIDATION_FAILED' || error.reason === 'GRAPHQL_VALIDATION_FAILED') &&
    /chunkUploadUrls|ChunkUploadUrlsInput/.test(error.message)
  );
}
