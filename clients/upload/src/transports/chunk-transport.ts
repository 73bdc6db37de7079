/** One chunk ready to go: its index, its MD5 (hex) and its bytes. */
export interface ChunkToSend {
  index: number;
  md5: string;
  bytes: Uint8Array;
}

/**
 * How a chunk's bytes reach the server. `send` resolves once the server holds the chunk and
 * throws an UploadError otherwise (retryable or not: the caller decides what to do about it).
 */
export interface ChunkTransport {
  send(chunk: ChunkToSend, signal: AbortSignal): Promise<void>;
}

/** `urls`: a URL for each chunk from `chunkUploadUrls`, the bytes PUT there; `multipart`: each chunk as an `uploadChunk` GraphQL multipart request. */
export type TransportName = 'urls' | 'multipart';
