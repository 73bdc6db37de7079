import type { GraphQLClient } from './graphql-client.js';

/** A media item as the upload answers it (a subset of the schema's `Media`). */
export interface UploadedMedia {
  id: string;
  fileMd5: string;
  fileName: string;
  type: string;
  mimeType: string;
  /** BigInt in the schema: a number or a numeric string. */
  size: number | string;
  url: string;
  organisationId: string;
  tags: string | null;
  remark: string | null;
  /** Whether a browser can play it now: false while a video waits for or fails transcoding. */
  playable: boolean;
  /** NONE, PENDING, PROCESSING, SUCCEEDED, FAILED or CANCELLED. */
  transcodeState: string;
  /** Percent of the running transcoding attempt, null when none runs. */
  transcodeProgress: number | null;
}

/** Where a resumable upload stands on the server. */
export interface UploadStatus {
  /** NOT_STARTED, UPLOADING, MERGING, COMPLETED, FAILED, ABORTED or EXPIRED. */
  state: string;
  chunkSize: number;
  chunkTotal: number | null;
  uploadedChunks: number[];
  missingChunks: number[];
  failure?: string | null;
  media?: UploadedMedia | null;
}

export interface FileCheck {
  exists: boolean;
  media: UploadedMedia | null;
  upload: UploadStatus | null;
  proof: { offset: number | string; length: number } | null;
}

/** Where to send one chunk's bytes, from chunkUploadUrls. */
export interface ChunkUploadUrl {
  index: number;
  url: string;
  method: string;
  headers: { name: string; value: string }[];
  /** ISO time after which the URL is refused. */
  expiresAt: string;
}

export const MEDIA_FIELDS =
  'id fileMd5 fileName type mimeType size url organisationId tags remark playable transcodeState transcodeProgress';
const STATUS_FIELDS = 'state chunkSize chunkTotal uploadedChunks missingChunks failure';

const CHECK_FILE = `mutation CheckFile($input: CheckFileInput!) {
  checkFile(input: $input) { exists media { ${MEDIA_FIELDS} } upload { ${STATUS_FIELDS} } proof { offset length } }
}`;
const UPLOAD_STATUS = `query UploadStatus($fileMd5: String!) {
  uploadStatus(fileMd5: $fileMd5) { ${STATUS_FIELDS} media { ${MEDIA_FIELDS} } }
}`;
const UPLOAD_CHUNK = `mutation UploadChunk($input: UploadChunkInput!) { uploadChunk(input: $input) { state } }`;
const CHUNK_UPLOAD_URLS = `mutation ChunkUploadUrls($input: ChunkUploadUrlsInput!) {
  chunkUploadUrls(input: $input) { index url method headers { name value } expiresAt }
}`;
const MERGE_CHUNKS = `mutation MergeChunks($input: MergeChunksInput!) { mergeChunks(input: $input) { ${MEDIA_FIELDS} } }`;
const ABORT_UPLOAD = `mutation AbortUpload($fileMd5: String!) { abortUpload(fileMd5: $fileMd5) }`;
const MEDIA = `query Media($id: ID!) { media(id: $id) { ${MEDIA_FIELDS} } }`;

/** The MD5 of no bytes: no upload ever has it (files have at least one byte), so its status tells the server's defaults. */
const NO_FILE_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** The platform's upload operations (media subgraph, through the gateway), one method per operation. */
export class UploadApi {
  constructor(private readonly client: GraphQLClient) {}

  get endpoint(): string {
    return this.client.endpoint;
  }

  /**
   * The chunk size the server gives new uploads, asked before hashing so the file and its chunks
   * are hashed in one read. It also checks the token before a long hash.
   */
  async defaultChunkSize(signal: AbortSignal): Promise<number> {
    return (await this.status(NO_FILE_MD5, signal)).chunkSize;
  }

  checkFile(
    input: { fileMd5: string; fileName: string; fileSize: number; proof?: { rangeMd5: string } },
    signal: AbortSignal,
  ): Promise<FileCheck> {
    return this.client.request<FileCheck>(CHECK_FILE, { input }, 'checkFile', signal);
  }

  status(fileMd5: string, signal: AbortSignal): Promise<UploadStatus> {
    return this.client.request<UploadStatus>(UPLOAD_STATUS, { fileMd5 }, 'uploadStatus', signal);
  }

  async uploadChunk(
    chunk: { fileMd5: string; index: number; chunkMd5: string; blob: Blob },
    signal: AbortSignal,
  ): Promise<void> {
    const { fileMd5, index, chunkMd5, blob } = chunk;
    await this.client.multipart(
      UPLOAD_CHUNK,
      { input: { fileMd5, index, chunkMd5, chunk: null } },
      { at: 'variables.input.chunk', blob, fileName: `${fileMd5}.${index}` },
      'uploadChunk',
      signal,
    );
  }

  chunkUploadUrls(
    fileMd5: string,
    chunks: { index: number; chunkMd5: string }[],
    signal: AbortSignal,
  ): Promise<ChunkUploadUrl[]> {
    return this.client.request<ChunkUploadUrl[]>(
      CHUNK_UPLOAD_URLS,
      { input: { fileMd5, chunks } },
      'chunkUploadUrls',
      signal,
    );
  }

  merge(
    input: { fileMd5: string; fileName: string; chunkTotal: number; tags?: string; remark?: string },
    signal: AbortSignal,
  ): Promise<UploadedMedia> {
    return this.client.request<UploadedMedia>(MERGE_CHUNKS, { input }, 'mergeChunks', signal);
  }

  abort(fileMd5: string, signal: AbortSignal): Promise<boolean> {
    return this.client.request<boolean>(ABORT_UPLOAD, { fileMd5 }, 'abortUpload', signal);
  }

  media(id: string, signal: AbortSignal): Promise<UploadedMedia | null> {
    return this.client.request<UploadedMedia | null>(MEDIA, { id }, 'media', signal);
  }
}
