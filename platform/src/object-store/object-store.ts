import type { Readable } from 'node:stream';

/** What a stored object looks like from outside. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** Quoted-free ETag as the backend reports it (S3: MD5 or multipart ETag). */
  etag: string;
  contentType: string;
  lastModified: Date;
}

export interface PutOptions {
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
  /** Known length in bytes; lets S3 pick its part size. A body of another length is refused (BAD_USER_INPUT). */
  size?: number;
}

export interface MultipartOptions extends PutOptions {
  /**
   * Every part but the last will have exactly this many bytes (the last at most as many), and
   * parts are numbered 1..n without gaps. Lets a store write each part at its final offset, so
   * completing copies nothing; stores that cannot use it ignore it.
   */
  partSize?: number;
}

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface PartOptions {
  /**
   * The part's MD5 in hex, as the sender computed it: a part whose bytes hash otherwise is refused
   * with BAD_USER_INPUT (reason PART_CHECKSUM_MISMATCH) and not completed into the object. The
   * part number then holds nothing usable until it is uploaded again, so a caller that had
   * recorded an earlier upload of that number should forget it.
   */
  md5?: string;
}

/**
 * Who may open a URL: `public` objects (published course pages and their media) get a plain,
 * cacheable URL; `private` ones a URL that is signed and expires.
 */
export interface FileUrlOptions {
  access: 'public' | 'private';
  /** Lifetime of a private URL; defaults to the store's (FILE_URL_TTL_SECONDS, 1 hour). */
  expirySeconds?: number;
}

/**
 * Where a tool that opens files and URLs itself (ffprobe, ffmpeg) reads an object: a file in
 * place, or a signed URL that expires after the store's private URL lifetime (FILE_URL_TTL_SECONDS).
 */
export type ReadSource = { path: string } | { url: string };

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** A part the store holds for a multipart upload, as it lists it. */
export interface ListedPart extends UploadedPart {
  size: number;
}

/** What a part upload URL binds: the part's exact bytes, and how long the URL lasts. */
export interface PartUrlOptions {
  /** The part's MD5 in hex: the store refuses a body that hashes otherwise (see `partUploadUrl`). */
  md5: string;
  /** The part's size in bytes. */
  size: number;
  expirySeconds: number;
}

/** An HTTP request a client sends as it is: `fetch(url, { method, headers, body })`. */
export interface PresignedRequest {
  url: string;
  method: 'PUT';
  /** Headers the request must carry unchanged (they are part of what is signed). */
  headers: Record<string, string>;
  expiresAt: Date;
}

/**
 * The object store port. Buckets are created on demand by the adapter.
 * Every method rejects with an `AppError` NOT_FOUND for a missing object where that is the meaning.
 * Names are checked before any I/O (BAD_USER_INPUT otherwise, see `object-input.ts`): buckets are
 * 2-63 of `[a-z0-9.-]`, starting with a letter or digit; keys are relative `/`-separated paths with
 * no empty, `.` or `..` segment, no NUL and no backslash, so every adapter can store them.
 */
export interface MultipartUploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface ObjectStore {
  put(bucket: string, key: string, body: Readable | Buffer, options?: PutOptions): Promise<ObjectInfo>;
  /** A range starting past the last byte is refused (BAD_USER_INPUT); an end past it is clamped. */
  get(bucket: string, key: string, range?: ByteRange): Promise<Readable>;
  /** `undefined` when the object does not exist. */
  stat(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Deleting a missing object is not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix`; returns how many. */
  deleteByPrefix(bucket: string, prefix: string): Promise<number>;
  /**
   * Objects under `prefix`, recursively, in key order (UTF-8 byte order, as S3 lists). `contentType`
   * may be empty: S3 listings do not carry it, so use `stat` when it matters.
   */
  list(bucket: string, prefix: string): Promise<ObjectInfo[]>;
  /**
   * A URL a browser can open. Private: a signed, expiring URL (S3 presigned, or the media file
   * route's own signature). Public: a plain URL (S3_PUBLIC_URL or the media file route), which the
   * file route serves only for objects it records as public; S3 without a public URL presigns.
   */
  url(bucket: string, key: string, options: FileUrlOptions): Promise<string>;
  /** Where a reader such as ffprobe opens the object directly; nothing is read, so a missing object fails only when the reader opens it. */
  readSource(bucket: string, key: string): Promise<ReadSource>;

  /**
   * Multipart upload: the parts' ETags are the caller's to keep (some S3 servers cannot list parts).
   * A part's ETag is its MD5 (unless S3 encrypts with KMS); parts are numbered 1..10000 and, as on
   * S3, every part but the last must hold at least 5 MiB. Completing with a missing part or a wrong
   * ETag is BAD_USER_INPUT, with an unknown upload NOT_FOUND. The completed object's ETag is the
   * backend's own (S3: `<md5>-<part count>`).
   */
  createMultipart(bucket: string, key: string, options?: MultipartOptions): Promise<string>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
    options?: PartOptions,
  ): Promise<UploadedPart>;
  completeMultipart(bucket: string, key: string, uploadId: string, parts: UploadedPart[]): Promise<ObjectInfo>;
  /**
   * A request a client sends to store one part's bytes straight into the store, never through this
   * service. S3: a presigned UploadPart URL whose signature covers the host and the `Content-MD5`
   * header, so S3 refuses (BadDigest) a body that does not hash to `md5`. `undefined` when the
   * store cannot take bytes from clients (the local folder): route them through the service
   * (`uploadPart`) instead. Nothing is checked or recorded here: the part exists once the client
   * sends it, which only `listParts` (or completing) can tell.
   */
  partUploadUrl(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    options: PartUrlOptions,
  ): Promise<PresignedRequest | undefined>;
  /**
   * The parts the store holds for a multipart upload, by part number, with their ETags (the MD5 in
   * hex) and sizes; `undefined` when the store cannot list parts (s3rver answers MethodNotAllowed).
   * An unknown upload is NOT_FOUND.
   */
  listParts(bucket: string, key: string, uploadId: string): Promise<ListedPart[] | undefined>;
  /** Aborting an unknown or finished upload is not an error. */
  abortMultipart(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Multipart uploads of `bucket` neither completed nor aborted, with when each began: for sweeping those nobody tracks. */
  listMultipart(bucket: string): AsyncIterable<MultipartUploadInfo>;

  /**
   * Removes what writes cut off by a crash left behind (temp files, half-built or half-deleted
   * uploads) that was last touched before `lastTouchedBefore`; returns how many pieces. A write in
   * progress keeps touching its files, so a cutoff well in the past never takes one. Objects and
   * multipart uploads are never touched.
   */
  sweepDebris(lastTouchedBefore: Date): Promise<number>;

  /** Reachability check for `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
