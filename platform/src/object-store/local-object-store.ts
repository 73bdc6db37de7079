import { createHash, randomBytes, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyedLock } from '../concurrency/keyed-lock.js';
import { badInput, conflict, notFound } from '../errors.js';
import { HASH_READ_BLOCK, md5OfFile } from '../hashing/file-md5.js';
import { checksumMismatch, sizeMismatch, toBuffer, toReadable, unwritten } from './byte-streams.js';
import {
  MIN_PART_SIZE,
  assertBucketName,
  assertByteRange,
  assertKeyPrefix,
  assertObjectKey,
  assertPartNumber,
  compareKeys,
  orderedParts,
} from './object-input.js';
import type {
  ByteRange,
  FileUrlOptions,
  ListedPart,
  MultipartOptions,
  MultipartUploadInfo,
  ObjectInfo,
  ObjectStore,
  PartOptions,
  PresignedRequest,
  PutOptions,
  ReadSource,
  UploadedPart,
} from './object-store.js';
import { FileUrlSigner } from './signed-file-url.js';

export interface LocalObjectStoreOptions {
  root: string;
  publicUrl: string;
  /** Signs private URLs (FILE_URL_SECRET); without it asking for a private URL fails. */
  urlSecret?: string;
  /** Lifetime of a private URL when the caller gives none (FILE_URL_TTL_SECONDS). */
  urlTtlSeconds?: number;
}

/** What the sidecar of an object records; size and mtime come from the file itself. */
interface Sidecar {
  contentType: string;
  etag: string;
}

interface UploadRecord {
  bucket: string;
  key: string;
  contentType: string;
  /** Set when parts are written in place into one data file (see MultipartOptions.partSize). */
  partSize?: number;
}

/** What an in-place part left behind: written only after its bytes are, removed before they are rewritten. */
interface PartMarker {
  size: number;
  etag: string;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const WRITE_BLOCK = 1024 * 1024;
/** Below IOV_MAX (1024 on Linux), the most buffers one writev takes. */
const MAX_GATHERED = 512;

/**
 * The object store over a folder, for development and single-node installs. Layout under `root`:
 * `<bucket>/<key>` objects; `.meta/<bucket>/<key>` JSON sidecars (same tree shape as the objects,
 * so a key can never clash in one tree and not the other); `.multipart/<id>/` uploads in progress;
 * `.tmp/` files being written. Bucket names start with a letter or digit, so the dot folders can
 * never be buckets. One process is assumed to own the root.
 */
export class LocalObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly publicUrl: string;
  private readonly signer?: FileUrlSigner;
  private readonly urlTtlSeconds: number;
  /** Per path: an object and its sidecar are replaced or removed together, so concurrent puts cannot pair one's body with the other's ETag. */
  private readonly locks = new KeyedLock();

  constructor(options: LocalObjectStoreOptions) {
    this.root = resolve(options.root);
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.signer = options.urlSecret ? new FileUrlSigner(options.urlSecret) : undefined;
    this.urlTtlSeconds = options.urlTtlSeconds ?? 3600;
  }

  async put(bucket: string, key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<ObjectInfo> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const temp = await this.tempPath();
    try {
      const { size, etag } = await writeHashed(toReadable(body), temp);
      if (options.size !== undefined && options.size !== size) {
        throw sizeMismatch(`Object ${bucket}/${key}`, options.size, size);
      }
      const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
      const { mtime } = await stat(temp);
      await this.commit(bucket, key, temp, { contentType, etag });
      return { bucket, key, size, etag, contentType, lastModified: mtime };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(bucket: string, key: string, range?: ByteRange): Promise<Readable> {
    assertBucketName(bucket);
    assertObjectKey(key);
    if (range) assertByteRange(range);
    const handle = await open(this.objectPath(bucket, key), 'r').catch((error: unknown) => {
      if (isMissing(error)) throw notFound('Object', `${bucket}/${key}`);
      throw error;
    });
    try {
      const file = await handle.stat();
      if (!file.isFile()) throw notFound('Object', `${bucket}/${key}`);
      if (range && range.start > 0 && range.start >= file.size) {
        throw badInput(`Range start ${range.start} is beyond the end of ${bucket}/${key} (${file.size} bytes).`, {
          reason: 'INVALID_RANGE',
        });
      }
      // Reading through the open handle keeps serving this version even if a put replaces it.
      return handle.createReadStream({ start: range?.start, end: range?.end });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const file = await statFile(this.objectPath(bucket, key));
    return file && this.describe(bucket, key, file);
  }

  async delete(bucket: string, key: string): Promise<void> {
    assertBucketName(bucket);
    assertObjectKey(key);
    await this.remove(bucket, key);
  }

  async deleteByPrefix(bucket: string, prefix: string): Promise<number> {
    let count = 0;
    for (const key of await this.keysUnder(bucket, prefix)) {
      if (await this.remove(bucket, key)) count += 1;
    }
    return count;
  }

  async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = [];
    for (const key of await this.keysUnder(bucket, prefix)) {
      const file = await statFile(this.objectPath(bucket, key));
      // Deleted since the walk: it is simply no longer listed.
      if (file) objects.push(await this.describe(bucket, key, file));
    }
    return objects;
  }

  /** The media file route's URL: plain for public objects, signed for private ones. */
  async url(bucket: string, key: string, options: FileUrlOptions): Promise<string> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const plain = `${this.publicUrl}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    if (options.access === 'public') return plain;
    if (!this.signer)
      throw new Error(
        'This local object store has no URL secret, so it cannot hand out private URLs: set FILE_URL_SECRET.',
      );
    return this.signer.signUrl(plain, bucket, key, options.expirySeconds ?? this.urlTtlSeconds);
  }

  /** The object's file, read in place. */
  async readSource(bucket: string, key: string): Promise<ReadSource> {
    assertBucketName(bucket);
    assertObjectKey(key);
    return { path: this.objectPath(bucket, key) };
  }

  async createMultipart(bucket: string, key: string, options: MultipartOptions = {}): Promise<string> {
    assertBucketName(bucket);
    assertObjectKey(key);
    if (
      options.partSize !== undefined &&
      (!Number.isSafeInteger(options.partSize) || options.partSize < MIN_PART_SIZE)
    ) {
      throw badInput(`A part size must be a whole number of at least ${MIN_PART_SIZE} bytes (5 MiB).`, {
        reason: 'PART_TOO_SMALL',
      });
    }
    const uploadId = randomBytes(16).toString('hex');
    const record: UploadRecord = {
      bucket,
      key,
      contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
      partSize: options.partSize,
    };
    // Built aside and moved in with one rename: a crash midway leaves debris in .tmp, never an upload without its record.
    const staging = await this.tempPath();
    try {
      await mkdir(staging);
      if (record.partSize) await writeFile(dataPath(staging), '', { flag: 'wx' });
      await writeFile(join(staging, 'upload.json'), JSON.stringify(record), { flag: 'wx' });
      await mkdir(join(this.root, '.multipart'), { recursive: true });
      await rename(staging, this.uploadFolder(uploadId));
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return uploadId;
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
    assertPartNumber(partNumber);
    const upload = await this.requireUpload(bucket, key, uploadId);
    const folder = this.uploadFolder(uploadId);
    if (upload.partSize) return this.writePartInPlace(folder, upload.partSize, partNumber, body, size, options.md5);
    const temp = join(folder, `${partNumber}.${randomUUID()}.tmp`);
    try {
      const written = await writeHashed(toReadable(body), temp);
      if (written.size !== size) throw sizeMismatch(`Part ${partNumber}`, size, written.size);
      if (options.md5 !== undefined && written.etag !== options.md5)
        throw checksumMismatch(`Part ${partNumber}`, options.md5, written.etag);
      await rename(temp, partPath(folder, partNumber));
      return { partNumber, etag: written.etag };
    } catch (error) {
      await rm(temp, { force: true });
      // The folder vanished under us: the upload was aborted or completed meanwhile.
      if (isMissing(error) && !(await statFile(join(folder, 'upload.json')))) {
        throw notFound('Multipart upload', uploadId);
      }
      throw error;
    }
  }

  /**
   * Writes a part at its final offset in the upload's data file, hashing it on the way. Its marker
   * is written only once the bytes are known good, so a damaged or cut-off part leaves the part
   * number empty, never a marker over wrong bytes.
   */
  private async writePartInPlace(
    folder: string,
    partSize: number,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
    md5: string | undefined,
  ): Promise<UploadedPart> {
    if (size > partSize)
      throw badInput(`Part ${partNumber} has ${size} bytes; this upload's parts hold at most ${partSize}.`, {
        reason: 'PART_SIZE_MISMATCH',
      });
    const marker = partPath(folder, partNumber);
    // One writer per part at a time: a damaged copy racing a good one could land its bytes under the good one's marker.
    return this.locks.run(marker, async () => {
      // The old marker goes first: bytes half-rewritten under a valid-looking marker would complete corrupt.
      await rm(marker, { force: true });
      const what = `Part ${partNumber}`;
      const { size: written, etag } = await writeHashed(toReadable(body), dataPath(folder), {
        start: (partNumber - 1) * partSize,
        maxSize: size,
        what,
      });
      if (written !== size) throw sizeMismatch(what, size, written);
      if (md5 !== undefined && etag !== md5) throw checksumMismatch(what, md5, etag);
      const temp = `${marker}.${randomUUID()}.tmp`;
      await writeFile(temp, JSON.stringify({ size, etag } satisfies PartMarker), { flag: 'wx' });
      await rename(temp, marker);
      return { partNumber, etag };
    });
  }

  /** Completes an in-place upload: checks the parts' markers, trims the data file, and hashes it in one read. */
  private async completeInPlace(
    upload: UploadRecord,
    folder: string,
    uploadId: string,
    ordered: UploadedPart[],
  ): Promise<ObjectInfo> {
    const partSize = upload.partSize!;
    let total = 0;
    const markers = await Promise.all(ordered.map(({ partNumber }) => readMarker(partPath(folder, partNumber))));
    for (const [index, { partNumber, etag }] of ordered.entries()) {
      if (partNumber !== index + 1) {
        throw badInput(
          `Parts of upload ${uploadId} must be numbered 1..n without gaps; part ${index + 1} is missing.`,
          { reason: 'PART_MISSING' },
        );
      }
      const marker = markers[index];
      if (!marker)
        throw badInput(`Part ${partNumber} of upload ${uploadId} was never uploaded; upload it or leave it out.`, {
          reason: 'PART_MISSING',
        });
      if (marker.etag !== etag) {
        throw badInput(
          `Part ${partNumber} has ETag ${marker.etag}, not ${etag}; list the ETag uploadPart returned, or upload the part again.`,
          { reason: 'PART_ETAG_MISMATCH' },
        );
      }
      if (index < ordered.length - 1 && marker.size !== partSize) {
        throw badInput(`Part ${partNumber} has ${marker.size} bytes; every part but the last needs ${partSize}.`, {
          reason: 'PART_SIZE_MISMATCH',
        });
      }
      total += marker.size;
    }
    const data = dataPath(folder);
    const handle = await open(data, 'r+');
    try {
      await handle.truncate(total);
    } finally {
      await handle.close();
    }
    const etag = await md5OfFile(data);
    const { mtime } = await stat(data);
    await this.commit(upload.bucket, upload.key, data, { contentType: upload.contentType, etag });
    await this.removeUploadFolder(folder);
    return {
      bucket: upload.bucket,
      key: upload.key,
      size: total,
      etag,
      contentType: upload.contentType,
      lastModified: mtime,
    };
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: UploadedPart[]): Promise<ObjectInfo> {
    const ordered = orderedParts(parts);
    const upload = await this.requireUpload(bucket, key, uploadId);
    const folder = this.uploadFolder(uploadId);
    if (upload.partSize) return this.completeInPlace(upload, folder, uploadId, ordered);
    const files = await Promise.all(ordered.map(({ partNumber }) => statFile(partPath(folder, partNumber))));
    ordered.forEach(({ partNumber }, index) => {
      const file = files[index];
      if (!file) {
        throw badInput(`Part ${partNumber} of upload ${uploadId} was never uploaded; upload it or leave it out.`, {
          reason: 'PART_MISSING',
        });
      }
      if (index < ordered.length - 1 && file.size < MIN_PART_SIZE) {
        throw badInput(
          `Part ${partNumber} has ${file.size} bytes; every part but the last needs at least ` +
            `${MIN_PART_SIZE} bytes (5 MiB).`,
          { reason: 'PART_TOO_SMALL' },
        );
      }
    });

    const temp = await this.tempPath();
    try {
      const whole = createHash('md5');
      const handle = await open(temp, 'wx');
      await pipeline(concatenateParts(folder, ordered, whole), handle.createWriteStream());
      const etag = whole.digest('hex');
      const { size, mtime } = await stat(temp);
      await this.commit(bucket, key, temp, { contentType: upload.contentType, etag });
      await this.removeUploadFolder(folder);
      return { bucket, key, size, etag, contentType: upload.contentType, lastModified: mtime };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Nothing outside this process can write into the folder: the bytes go through the service (`uploadPart`). */
  async partUploadUrl(): Promise<PresignedRequest | undefined> {
    return undefined;
  }

  /** The parts written so far: in-place parts by their markers, separate part files hashed as they lie. */
  async listParts(bucket: string, key: string, uploadId: string): Promise<ListedPart[]> {
    const upload = await this.requireUpload(bucket, key, uploadId);
    const folder = this.uploadFolder(uploadId);
    const names = await readdir(folder).catch((error: unknown) => {
      if (isMissing(error)) throw notFound('Multipart upload', `${uploadId} of ${bucket}/${key}`);
      throw error;
    });
    const parts: ListedPart[] = [];
    for (const name of names) {
      const match = /^([1-9][0-9]{0,4})\.part$/.exec(name);
      if (!match) continue;
      const partNumber = Number(match[1]);
      const path = join(folder, name);
      if (upload.partSize) {
        const marker = await readMarker(path);
        if (marker) parts.push({ partNumber, etag: marker.etag, size: marker.size });
        continue;
      }
      const file = await statFile(path);
      if (file) parts.push({ partNumber, etag: await md5OfFile(path), size: file.size });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    if (await this.findUpload(bucket, key, uploadId)) {
      await this.removeUploadFolder(this.uploadFolder(uploadId));
    }
  }

  async *listMultipart(bucket: string): AsyncIterable<MultipartUploadInfo> {
    assertBucketName(bucket);
    const folders = await readdir(join(this.root, '.multipart')).catch((error: unknown) => {
      if (isMissing(error)) return [] as string[];
      throw error;
    });
    for (const uploadId of folders) {
      if (!UPLOAD_ID.test(uploadId)) continue;
      const recordPath = join(this.uploadFolder(uploadId), 'upload.json');
      // The record is written once, when the upload begins; an upload finished or aborted meanwhile has none.
      const [record, written] = await Promise.all([
        readFile(recordPath, 'utf8').then(
          (text) => JSON.parse(text) as UploadRecord,
          () => undefined,
        ),
        stat(recordPath).then(
          (info) => info.mtime,
          () => undefined,
        ),
      ]);
      if (record?.bucket === bucket && written) yield { key: record.key, uploadId, initiated: written };
    }
  }

  /** Everything in `.tmp` last modified before the cutoff: only writes cut off by a crash leave things there. */
  async sweepDebris(lastTouchedBefore: Date): Promise<number> {
    const folder = join(this.root, '.tmp');
    const names = await readdir(folder).catch((error: unknown) => {
      if (isMissing(error)) return [] as string[];
      throw error;
    });
    let removed = 0;
    for (const name of names) {
      const path = join(folder, name);
      const info = await lstat(path).catch((error: unknown) => {
        if (isMissing(error)) return undefined;
        throw error;
      });
      if (!info || info.mtimeMs >= lastTouchedBefore.getTime()) continue;
      await rm(path, { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }

  async ping(): Promise<void> {
    try {
      const probe = await this.tempPath();
      await writeFile(probe, '');
      await rm(probe);
    } catch (error) {
      throw new Error(`The object store folder ${this.root} is not writable: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    // Nothing to release: every operation closes the files it opens.
  }

  private objectPath(bucket: string, key: string): string {
    return join(this.root, bucket, ...key.split('/'));
  }

  private sidecarPath(bucket: string, key: string): string {
    return join(this.root, '.meta', bucket, ...key.split('/'));
  }

  private uploadFolder(uploadId: string): string {
    return join(this.root, '.multipart', uploadId);
  }

  /** Takes an upload out of `.multipart` with one rename, then deletes it: a crash midway leaves debris in .tmp, never half an upload. */
  private async removeUploadFolder(folder: string): Promise<void> {
    const doomed = await this.tempPath();
    try {
      // Touched first: an upload begun long ago must not look like old debris to a sweep while it is being deleted.
      const now = new Date();
      await utimes(folder, now, now);
      await rename(folder, doomed);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  private async tempPath(): Promise<string> {
    const folder = join(this.root, '.tmp');
    await mkdir(folder, { recursive: true });
    return join(folder, randomUUID());
  }

  /** Moves a finished temp file into place with its sidecar. */
  private async commit(bucket: string, key: string, temp: string, sidecar: Sidecar): Promise<void> {
    const objectPath = this.objectPath(bucket, key);
    const sidecarTemp = await this.tempPath();
    try {
      await writeFile(sidecarTemp, JSON.stringify(sidecar), { flag: 'wx' });
      await this.locks.run(objectPath, async () => {
        await moveInto(temp, objectPath).catch((error: unknown) => {
          if (isPathClash(error)) {
            throw conflict(
              `Object key "${key}" clashes with another key in bucket ${bucket}: the local store keeps keys ` +
                'as paths, so "a" and "a/b" cannot both exist. Delete the other object or choose another key.',
              { reason: 'KEY_PATH_CLASH' },
            );
          }
          throw error;
        });
        await moveInto(sidecarTemp, this.sidecarPath(bucket, key));
      });
    } finally {
      // Already renamed on success; on failure this is the leftover to remove.
      await rm(sidecarTemp, { force: true });
    }
  }

  /** Deletes one object and its sidecar; true when there was an object. */
  private async remove(bucket: string, key: string): Promise<boolean> {
    const objectPath = this.objectPath(bucket, key);
    const sidecarPath = this.sidecarPath(bucket, key);
    return this.locks.run(objectPath, async () => {
      const removed = await unlinkFile(objectPath);
      await unlinkFile(sidecarPath);
      await pruneEmptyFolders(dirname(objectPath), join(this.root, bucket));
      await pruneEmptyFolders(dirname(sidecarPath), join(this.root, '.meta', bucket));
      return removed;
    });
  }

  /** Keys under `prefix` in key order, walking only the folders that can hold such keys. */
  private async keysUnder(bucket: string, prefix: string): Promise<string[]> {
    assertBucketName(bucket);
    assertKeyPrefix(prefix);
    const keys: string[] = [];
    const startFolder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const key of walkFiles(join(this.root, bucket), startFolder, prefix)) {
      if (key.startsWith(prefix)) keys.push(key);
    }
    return keys.sort(compareKeys);
  }

  private async describe(bucket: string, key: string, file: Stats): Promise<ObjectInfo> {
    const sidecar = await readSidecar(this.sidecarPath(bucket, key));
    return {
      bucket,
      key,
      size: file.size,
      // Files copied into the folder by hand have no sidecar.
      etag: sidecar?.etag ?? (await md5OfFile(this.objectPath(bucket, key))),
      contentType: sidecar?.contentType ?? DEFAULT_CONTENT_TYPE,
      lastModified: file.mtime,
    };
  }

  private async findUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined> {
    assertBucketName(bucket);
    assertObjectKey(key);
    // The id becomes a path segment, so anything but our own format cannot name an upload.
    if (!UPLOAD_ID.test(uploadId)) return undefined;
    let record: UploadRecord;
    try {
      record = JSON.parse(await readFile(join(this.uploadFolder(uploadId), 'upload.json'), 'utf8')) as UploadRecord;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return record.bucket === bucket && record.key === key ? record : undefined;
  }

  private async requireUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    const upload = await this.findUpload(bucket, key, uploadId);
    if (!upload) throw notFound('Multipart upload', `${uploadId} of ${bucket}/${key}`);
    return upload;
  }
}

/**
 * Streams `source` into the file at `path` (a new one, unless `at` places it inside an existing
 * one), returning its size and MD5. The pieces a socket delivers (about 64 KiB) go out gathered,
 * about 1 MiB per `writev`: one write call per piece costs several times as much CPU per byte.
 * More than `at.maxSize` bytes fail it.
 */
async function writeHashed(
  source: Readable,
  path: string,
  at?: { start: number; maxSize: number; what: string },
): Promise<{ size: number; etag: string }> {
  const hash = createHash('md5');
  let size = 0;
  let position = at?.start ?? 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Opening first means the file exists before any byte flows, so a failure can always remove it.
  const handle = await open(path, at ? 'r+' : 'wx');
  const flush = async () => {
    while (pendingBytes > 0) {
      const { bytesWritten } = await handle.writev(pending, position);
      if (bytesWritten === 0) throw new Error(`Writing ${path} made no progress at byte ${position}.`);
      position += bytesWritten;
      pendingBytes -= bytesWritten;
      pending = unwritten(pending, bytesWritten);
    }
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      const data = toBuffer(chunk);
      size += data.length;
      if (at && size > at.maxSize) throw sizeMismatch(at.what, at.maxSize, size, true);
      hash.update(data);
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes >= WRITE_BLOCK || pending.length >= MAX_GATHERED) await flush();
    }
    await flush();
  } finally {
    await handle.close();
  }
  return { size, etag: hash.digest('hex') };
}

/** Yields the parts' bytes in order, checking each part against the ETag the caller listed. */
async function* concatenateParts(folder: string, parts: UploadedPart[], whole: Hash): AsyncGenerator<Buffer> {
  for (const { partNumber, etag } of parts) {
    const hash = createHash('md5');
    for await (const chunk of createReadStream(partPath(folder, partNumber), {
      highWaterMark: HASH_READ_BLOCK,
    }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      whole.update(chunk);
      yield chunk;
    }
    const actual = hash.digest('hex');
    if (actual !== etag) {
      throw badInput(
        `Part ${partNumber} has ETag ${actual}, not ${etag}; ` +
          'list the ETag uploadPart returned, or upload the part again.',
        { reason: 'PART_ETAG_MISMATCH' },
      );
    }
  }
}

/** The marker an in-place part left, or undefined when there is none (or it cannot be read). */
function readMarker(path: string): Promise<PartMarker | undefined> {
  return readFile(path, 'utf8').then(
    (text) => JSON.parse(text) as PartMarker,
    () => undefined,
  );
}

function partPath(folder: string, partNumber: number): string {
  return join(folder, `${partNumber}.part`);
}

/** The single file an in-place upload writes its parts into. */
function dataPath(folder: string): string {
  return join(folder, 'data');
}

/** Files under `base/folder` as `/`-joined keys, skipping folders that cannot hold `prefix` keys. */
async function* walkFiles(base: string, folder: string, prefix: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(base, ...folder.split('/')), { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const key = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isFile()) yield key;
    else if (entry.isDirectory() && `${key}/`.startsWith(prefix.slice(0, key.length + 1))) {
      yield* walkFiles(base, key, prefix);
    }
  }
}

async function moveInto(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await mkdir(dirname(to), { recursive: true });
    try {
      await rename(from, to);
      return;
    } catch (error) {
      // A concurrent delete may prune the parent folder between mkdir and rename.
      if (!(errorCode(error) === 'ENOENT' && attempt < 3)) throw error;
    }
  }
}

/** Removes now-empty folders from `folder` upwards, stopping below `stop`. */
async function pruneEmptyFolders(folder: string, stop: string): Promise<void> {
  for (let current = folder; current.startsWith(stop + sep); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      if (errorCode(error) === 'ENOTEMPTY' || errorCode(error) === 'EEXIST') return;
      throw error;
    }
  }
}

async function unlinkFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    // EISDIR/EPERM: the key names a folder of other keys, which is no object.
    if (isMissing(error) || errorCode(error) === 'EISDIR' || errorCode(error) === 'EPERM') return false;
    throw error;
  }
}

async function statFile(path: string): Promise<Stats | undefined> {
  try {
    const file = await stat(path);
    return file.isFile() ? file : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Sidecar;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** ENOTDIR: a parent in the path is a file, so the path names nothing. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isPathClash(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY';
}
