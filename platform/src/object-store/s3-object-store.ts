import { Client, S3Error, type BucketItem, type BucketStream } from 'minio';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import { badInput, notFound } from '../errors.js';
import { checksumMismatch, chunksOf, readExactly, sizeMismatch, toReadable } from './byte-streams.js';
import {
  MAX_PARTS,
  assertBucketName,
  assertByteRange,
  assertKeyPrefix,
  assertObjectKey,
  assertPartNumber,
  bareEtag,
  compareKeys,
  orderedParts,
} from './object-input.js';
import { idleLimitedTransport, type Transport } from './idle-limited-transport.js';
import { presignV4, uriEncode } from './sigv4-presign.js';
import { putStreamedPart } from './streamed-part-put.js';
import type {
  ByteRange,
  FileUrlOptions,
  ListedPart,
  MultipartUploadInfo,
  ObjectInfo,
  ObjectStore,
  PartOptions,
  PartUrlOptions,
  PresignedRequest,
  PutOptions,
  ReadSource,
  UploadedPart,
} from './object-store.js';

export type S3ObjectStoreOptions = Omit<Extract<Config['objectStore'], { kind: 's3' }>, 'kind'> & {
  /** Lifetime of a presigned URL when the caller gives none (FILE_URL_TTL_SECONDS). */
  urlTtlSeconds?: number;
  /** A call fails when the server neither takes nor sends a byte for this long (default 60 s). */
  idleMs?: number;
};

/** The minio client's own ListParts, which its typings keep protected. */
interface PartLister {
  listParts(bucket: string, key: string, uploadId: string): Promise<{ part: number; etag: string; size: number }[]>;
}

/** A listing entry for an object (recursive listings hold no common prefixes). */
type ListedObject = Extract<BucketItem, { name: string }>;

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const DEFAULT_URL_EXPIRY_SECONDS = 60 * 60;
/** Bodies up to this size go in one PUT; larger ones in parts of this size (bounded memory). */
const PART_SIZE = 16 * 1024 * 1024;
const MAX_OBJECT_SIZE = 5 * 1024 ** 4;
/** S3's limits on one part and on a presigned URL's lifetime. */
const MAX_PART_SIZE = 5 * 1024 ** 3;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** Longer than the server takes to start answering a large CompleteMultipartUpload, shorter than the gateway waits for media. */
const DEFAULT_IDLE_MS = 60_000;
/**
 * Lifetime of the URL a streamed part is sent to, at once and from this process only. S3 checks it
 * when the request starts, so a slow body is not cut short. 15 minutes is the clock skew S3 allows
 * the client's own signed requests, so this clock may lag S3's as far for streamed parts as for the rest.
 */
const STREAMED_PART_URL_SECONDS = 15 * 60;

const MISSING_OBJECT = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
/** How servers without ListParts answer it. */
const UNLISTABLE = new Set(['NotImplemented', 'MethodNotAllowed']);
const BAD_PARTS = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML']);

/** A minio client for `options.endpoint`, which must be a bare origin such as `http://minio:9000`. */
export function s3Client(options: S3ObjectStoreOptions): Client {
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint);
  } catch {
    throw new Error(`S3_ENDPOINT "${options.endpoint}" is not a URL; use the form http://host:port.`);
  }
  if (!['http:', 'https:'].includes(endpoint.protocol) || endpoint.pathname !== '/' || endpoint.search) {
    throw new Error(
      `S3_ENDPOINT "${options.endpoint}" must be a bare http(s) origin such as http://minio:9000; ` +
        'the minio client cannot use a path.',
    );
  }
  return new Client({
    endPoint: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    useSSL: endpoint.protocol === 'https:',
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    // Known up front, so the client never asks the server for a bucket's location.
    region: options.region,
    transport: storeTransport(options),
  });
}

/** node's http or https, as the endpoint says, with the store's idle limit (see `idleLimitedTransport`). */
function storeTransport(options: S3ObjectStoreOptions): Transport {
  return idleLimitedTransport(new URL(options.endpoint).protocol === 'https:', options.idleMs ?? DEFAULT_IDLE_MS);
}

/**
 * The object store on S3 or an S3-compatible server (MinIO, ...). Port bucket `b` is the real
 * bucket `bucketPrefix + b`, created on the first write.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: Client;
  /** What streamed parts go through, beside the client. */
  private readonly transport: Transport;
  private readonly createdBuckets = new Map<string, Promise<void>>();

  constructor(private readonly options: S3ObjectStoreOptions) {
    this.client = s3Client(options);
    this.transport = storeTransport(options);
  }

  async put(bucket: string, key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<ObjectInfo> {
    assertObjectKey(key);
    const name = await this.writableBucket(bucket);
    const what = `Object ${bucket}/${key}`;
    const declared = options.size;
    if (declared !== undefined && !(Number.isSafeInteger(declared) && declared >= 0 && declared <= MAX_OBJECT_SIZE)) {
      throw badInput(`${what}: size ${declared} is invalid; S3 objects hold 0 to 5 TiB.`, { reason: 'SIZE_MISMATCH' });
    }
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const partSize = Math.max(PART_SIZE, Math.ceil((declared ?? 0) / MAX_PARTS));

    // The client's own streaming upload is avoided on purpose: without a size it buffers ~500 MiB
    // parts, and it resumes any unfinished upload of the same key, so two concurrent puts could
    // mix their parts.
    const chunks = chunksOf(toReadable(body), partSize);
    const first = await chunks.next();
    const head = first.done ? Buffer.alloc(0) : first.value;
    if (head.length < partSize) {
      // A short first chunk is the whole body.
      if (declared !== undefined && declared !== head.length) throw sizeMismatch(what, declared, head.length);
      const { etag } = await this.call(
        () => this.client.putObject(name, key, head, head.length, { 'Content-Type': contentType }),
        bucket,
        key,
      );
      // S3 answers a PUT without Last-Modified; the local clock is the closest without another request.
      return { bucket, key, size: head.length, etag: bareEtag(etag), contentType, lastModified: new Date() };
    }

    const uploadId = await this.createMultipart(bucket, key, { contentType });
    try {
      const parts = [await this.sendPart(bucket, key, uploadId, 1, head)];
      let size = head.length;
      for await (const chunk of chunks) {
        if (parts.length === MAX_PARTS) {
          throw badInput(`${what} is too large to upload without a declared size; pass options.size.`, {
            reason: 'SIZE_MISMATCH',
          });
        }
        size += chunk.length;
        parts.push(await this.sendPart(bucket, key, uploadId, parts.length + 1, chunk));
      }
      if (declared !== undefined && declared !== size) throw sizeMismatch(what, declared, size);
      const { etag } = await this.call(
        () => this.client.completeMultipartUpload(name, key, uploadId, parts.map(toCompletedPart)),
        bucket,
        key,
        uploadId,
      );
      return { bucket, key, size, etag: bareEtag(etag), contentType, lastModified: new Date() };
    } catch (error) {
      // Best effort: some S3 stand-ins cannot abort, and the original error is the one to report.
      await this.client.abortMultipartUpload(name, key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  async get(bucket: string, key: string, range?: ByteRange): Promise<Readable> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    if (!range) return this.call(() => this.client.getObject(name, key), bucket, key);
    assertByteRange(range);
    // The client's length 0 means "to the end".
    const length = range.end === undefined ? 0 : range.end - range.start + 1;
    return this.call(() => this.client.getPartialObject(name, key, range.start, length), bucket, key);
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    try {
      const info = await this.client.statObject(name, key);
      const contentType: unknown = info.metaData['content-type'];
      return {
        bucket,
        key,
        size: info.size,
        etag: bareEtag(info.etag),
        contentType: typeof contentType === 'string' ? contentType : DEFAULT_CONTENT_TYPE,
        lastModified: info.lastModified,
      };
    } catch (error) {
      if (MISSING_OBJECT.has(s3Code(error) ?? '')) return undefined;
      throw error;
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    try {
      await this.client.removeObject(name, key);
    } catch (error) {
      if (!MISSING_OBJECT.has(s3Code(error) ?? '')) throw error;
    }
  }

  async deleteByPrefix(bucket: string, prefix: string): Promise<number> {
    const name = this.bucketName(bucket);
    assertKeyPrefix(prefix);
    const keys = (await this.listItems(name, prefix)).map((item) => item.name);
    if (keys.length === 0) return 0;
    const failures = (await this.client.removeObjects(name, keys)).flatMap((result) =>
      result?.Error ? [`${result.Error.Key}: ${result.Error.Code} ${result.Error.Message}`] : [],
    );
    if (failures.length > 0) {
      throw new Error(
        `Could not delete ${failures.length} of ${keys.length} objects in ${name}: ${failures.join('; ')}`,
      );
    }
    return keys.length;
  }

  /** `contentType` is empty: S3 listings do not carry it (use `stat`). */
  async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const name = this.bucketName(bucket);
    assertKeyPrefix(prefix);
    return (await this.listItems(name, prefix)).map((item) => ({
      bucket,
      key: item.name,
      size: item.size,
      etag: bareEtag(item.etag),
      contentType: '',
      lastModified: item.lastModified,
    }));
  }

  /** Private: always presigned, even with a public base URL (which may front a public bucket). */
  async url(bucket: string, key: string, options: FileUrlOptions): Promise<string> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    const expirySeconds = options.expirySeconds ?? this.options.urlTtlSeconds ?? DEFAULT_URL_EXPIRY_SECONDS;
    if (options.access === 'public' && this.options.publicUrl) {
      const path = key.split('/').map(encodeURIComponent).join('/');
      return `${this.options.publicUrl.replace(/\/+$/, '')}/${name}/${path}`;
    }
    return this.client.presignedGetObject(name, key, expirySeconds);
  }

  /** A presigned URL, as for a private object. */
  async readSource(bucket: string, key: string): Promise<ReadSource> {
    return { url: await this.url(bucket, key, { access: 'private' }) };
  }

  async createMultipart(bucket: string, key: string, options: PutOptions = {}): Promise<string> {
    assertObjectKey(key);
    const name = await this.writableBucket(bucket);
    return this.call(
      () =>
        this.client.initiateNewMultipartUpload(name, key, {
          'Content-Type': options.contentType ?? DEFAULT_CONTENT_TYPE,
        }),
      bucket,
      key,
    );
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
    options: PartOptions = {},
  ): Promise<UploadedPart> {
    assertBucketName(bucket);
    assertObjectKey(key);
    assertPartNumber(partNumber);
    let part: UploadedPart;
    if (Buffer.isBuffer(body) || options.md5 === undefined) {
      // The client sends a part only from memory (it signs the payload's SHA-256).
      const payload = await readExactly(body, size, `Part ${partNumber}`);
      part = await this.sendPart(bucket, key, uploadId, partNumber, payload, options.md5);
    } else {
      part = await this.streamPart(bucket, key, uploadId, partNumber, body, size, options.md5);
    }
    // S3 itself refuses a part that fails Content-MD5 (BadDigest); this also catches stand-ins that ignore the header.
    if (options.md5 !== undefined && part.etag !== options.md5)
      throw checksumMismatch(`Part ${partNumber}`, options.md5, part.etag);
    return part;
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: UploadedPart[]): Promise<ObjectInfo> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    const ordered = orderedParts(parts);
    const { etag } = await this.call(
      () => this.client.completeMultipartUpload(name, key, uploadId, ordered.map(toCompletedPart)),
      bucket,
      key,
      uploadId,
    );
    const info = await this.stat(bucket, key);
    if (!info) throw new Error(`${bucket}/${key} is missing right after completing upload ${uploadId}.`);
    // Someone may have replaced the object since; the completed upload's ETag is what was asked about.
    return { ...info, etag: bareEtag(etag) };
  }

  /** A presigned UploadPart whose signature covers `Content-MD5`: S3 refuses other bytes (BadDigest), and a changed MD5 breaks the signature. */
  async partUploadUrl(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    options: PartUrlOptions,
  ): Promise<PresignedRequest> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    assertPartNumber(partNumber);
    if (!/^[0-9a-f]{32}$/.test(options.md5))
      throw badInput(`A part's MD5 must be 32 hex digits, not "${options.md5}".`, { reason: 'INVALID_MD5' });
    if (!Number.isSafeInteger(options.size) || options.size < 0 || options.size > MAX_PART_SIZE)
      throw badInput(`A part holds 0 to 5 GiB; ${options.size} bytes is not a part size.`, {
        reason: 'PART_SIZE_MISMATCH',
      });
    const expirySeconds = Math.min(Math.max(1, Math.floor(options.expirySeconds)), MAX_PRESIGN_SECONDS);
    const now = new Date();
    const headers = { 'Content-MD5': Buffer.from(options.md5, 'hex').toString('base64') };
    const url = presignV4(this.options, {
      method: 'PUT',
      origin: new URL(this.options.endpoint).origin,
      // Path-style, as the client uses it: every endpoint accepts it, and the bucket name needs no DNS.
      path: `/${uriEncode(name)}/${key.split('/').map(uriEncode).join('/')}`,
      query: { partNumber: String(partNumber), uploadId },
      headers,
      expirySeconds,
      now,
    });
    return { url, method: 'PUT', headers, expiresAt: new Date(now.getTime() + expirySeconds * 1000) };
  }

  /** Undefined where the server does not implement ListParts (s3rver answers MethodNotAllowed). */
  async listParts(bucket: string, key: string, uploadId: string): Promise<ListedPart[] | undefined> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    try {
      // The client has ListParts (paged) but does not declare it public.
      const parts = await (this.client as unknown as PartLister).listParts(name, key, uploadId);
      return parts
        .map((part) => ({ partNumber: part.part, etag: bareEtag(part.etag), size: part.size }))
        .sort((a, b) => a.partNumber - b.partNumber);
    } catch (error) {
      if (UNLISTABLE.has(s3Code(error) ?? '')) return undefined;
      throw translate(error, `${bucket}/${key}`, uploadId);
    }
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    const name = this.bucketName(bucket);
    assertObjectKey(key);
    try {
      await this.client.abortMultipartUpload(name, key, uploadId);
    } catch (error) {
      if (s3Code(error) !== 'NoSuchUpload') throw error;
    }
  }

  async *listMultipart(bucket: string): AsyncIterable<MultipartUploadInfo> {
    const name = this.bucketName(bucket);
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      const page = await this.client.listIncompleteUploadsQuery(name, '', keyMarker, uploadIdMarker, '');
      for (const upload of page.uploads)
        yield { key: upload.key, uploadId: upload.uploadId, initiated: new Date(upload.initiated) };
      if (!page.isTruncated) return;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }

  async sweepDebris(): Promise<number> {
    // S3 writes nothing aside: an object appears whole or not at all, and unfinished multipart uploads are what listMultipart finds.
    return 0;
  }

  async ping(): Promise<void> {
    try {
      await this.client.listBuckets();
    } catch (error) {
      throw new Error(
        `S3 at ${this.options.endpoint} did not answer ListBuckets: ${(error as Error).message}. ` +
          'Check S3_ENDPOINT and the credentials.',
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    // The client keeps no connections of its own beyond Node's shared HTTP agent.
  }

  private bucketName(bucket: string): string {
    assertBucketName(bucket);
    return this.options.bucketPrefix + bucket;
  }

  /** The real bucket name, after making sure the bucket exists (once per process). */
  private async writableBucket(bucket: string): Promise<string> {
    const name = this.bucketName(bucket);
    let created = this.createdBuckets.get(name);
    if (!created) {
      created = this.createBucket(name);
      this.createdBuckets.set(name, created);
      // A failure is not remembered, so the next write tries again.
      created.catch(() => this.createdBuckets.delete(name));
    }
    await created;
    return name;
  }

  private async createBucket(name: string): Promise<void> {
    if (await this.client.bucketExists(name)) return;
    try {
      await this.client.makeBucket(name, this.options.region);
    } catch (error) {
      // Another process may have created it between the check and the create.
      const code = s3Code(error);
      const raced = code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists';
      if (raced && (await this.client.bucketExists(name))) return;
      throw error;
    }
  }

  private async sendPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    payload: Buffer,
    md5?: string,
  ): Promise<UploadedPart> {
    const bucketName = this.bucketName(bucket);
    const headers = md5 === undefined ? {} : { 'Content-MD5': Buffer.from(md5, 'hex').toString('base64') };
    const { etag } = await this.call(
      () => this.client.uploadPart({ bucketName, objectName: key, uploadID: uploadId, partNumber, headers }, payload),
      bucket,
      key,
      uploadId,
    );
    return { partNumber, etag: bareEtag(etag) };
  }

  /**
   * Sends a part as it arrives, through the presigned UploadPart a client would get: its payload is
   * unsigned, so only the signed Content-MD5 binds the bytes, hence streaming only parts with an MD5.
   */
  private async streamPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    size: number,
    md5: string,
  ): Promise<UploadedPart> {
    const request = await this.partUploadUrl(bucket, key, uploadId, partNumber, {
      md5,
      size,
      expirySeconds: STREAMED_PART_URL_SECONDS,
    });
    const etag = await this.call(
      () => putStreamedPart(this.transport, request, body, size, `Part ${partNumber}`),
      bucket,
      key,
      uploadId,
    );
    return { partNumber, etag: bareEtag(etag) };
  }

  /** Every listed item in key order (the order S3 promises, which not every stand-in keeps). */
  private async listItems(name: string, prefix: string): Promise<ListedObject[]> {
    try {
      const items = await collect(this.client.listObjectsV2(name, prefix, true));
      return items
        .filter((item): item is ListedObject => item.name !== undefined)
        .sort((a, b) => compareKeys(a.name, b.name));
    } catch (error) {
      if (s3Code(error) === 'NoSuchBucket') return [];
      throw error;
    }
  }

  /** Runs a client call on `bucket/key`, translating S3's answers (see `translate`). */
  private async call<T>(work: () => Promise<T>, bucket: string, key: string, uploadId?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error, `${bucket}/${key}`, uploadId);
    }
  }
}

/** S3's "no such thing" and "bad request" answers as AppErrors; anything else unchanged. */
function translate(error: unknown, target: string, uploadId?: string): unknown {
  const code = s3Code(error);
  if (code === undefined) return error;
  if (MISSING_OBJECT.has(code)) return notFound('Object', target);
  if (code === 'NoSuchUpload') return notFound('Multipart upload', `${uploadId} of ${target}`);
  if (BAD_PARTS.has(code)) {
    return badInput(`Completing the upload of ${target} failed: ${(error as Error).message} (${code}).`, {
      reason: code,
    });
  }
  if (code === 'BadDigest') {
    return badInput(
      `A part of ${target} does not match the MD5 it was sent with: it was damaged on the way; send it again.`,
      {
        reason: 'PART_CHECKSUM_MISMATCH',
      },
    );
  }
  if (code === 'InvalidRange') {
    return badInput(`The requested range starts beyond the end of ${target}.`, { reason: 'INVALID_RANGE' });
  }
  return error;
}

function toCompletedPart({ partNumber, etag }: UploadedPart): { part: number; etag: string } {
  return { part: partNumber, etag };
}

function s3Code(error: unknown): string | undefined {
  return error instanceof S3Error ? error.code : undefined;
}

function collect<T>(stream: BucketStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item));
    stream.on('error', reject);
    stream.on('end', () => resolve(items));
  });
}
