import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireOrganisation, requireRole, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { KeyedLock, LockWaitTimeout } from '@learnhub/platform/concurrency';
import { AppError, badInput, conflict, ErrorCode, isAppError, payloadTooLarge } from '@learnhub/platform/errors';
import { PausePoints } from '@learnhub/platform/faults';
import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { MediaType } from '../entities/media-object.entity';
import { ChunkState } from '../entities/upload-chunk.entity';
import { UploadState, type UploadSession } from '../entities/upload-session.entity';
import type { MediaRepository } from '../repositories/media.repository';
import type { Admission, UploadSessionRepository } from '../repositories/upload-session.repository';
import { withCheckedHead } from '../storage/checked-head';
import { UploadMergeService, type MergeLeaseSettings, type VideoIntake } from './upload-merge.service';
import { cleanFileName } from './media.service';
import { isMd5 } from '../rules/md5';
import { abortUploadParts } from '../storage/upload-parts';
import { mediaView, type MediaView } from './media-view';
import { SNIFF_BYTES } from '../rules/mime-sniffer';
import { Buckets, fileKey, videoKey } from '../rules/object-keys';
import {
  ALLOWED_CHUNKED_EXTENSIONS,
  ALLOWED_CHUNKED_TYPES,
  judgeChunkedFile,
  planFile,
  plannedFor,
} from '../rules/chunked-file-types';
import type { ChunkUploadTokens } from '../rules/chunk-upload-token';
import { challengeFor, provesPossession, type PossessionChallenge } from '../rules/possession-proof';
import { md5OfStoredRange } from '../storage/stored-range-md5';

export interface UploadSettings {
  chunkSize: number;
  maxFileBytes: number;
  sessionTtlSeconds: number;
  /** Open uploads one organisation may have at once. */
  quotaSessions: number;
  /** The most bytes one organisation's open uploads may declare together. */
  quotaBytes: number;
  /** Keys the possession-proof challenges. */
  proofKey: string;
  /** How long a merge or abort call waits for another live merge of the same upload before answering UPLOAD_MERGING. */
  mergeWaitMs: number;
  /** How long a copy of a chunk waits for another copy of it still arriving before answering CHUNK_UPLOADING. */
  chunkWaitMs: number;
  mergeLease: MergeLeaseSettings;
  /** Media's own chunk URLs, for stores that take no bytes from clients. */
  chunkUrls: ChunkUrlSettings;
}

export interface ChunkUrlSettings {
  tokens: ChunkUploadTokens;
  /** The gateway's public origin: media's URLs are `<publicUrl>/uploads/<token>`. */
  publicUrl: string;
  /** How long a chunk URL lasts (UPLOAD_URL_TTL_SECONDS). */
  ttlSeconds: number;
}

/** A URL a client sends one chunk's bytes to: `fetch(url, { method, headers, body })`. */
export interface ChunkUploadUrlView {
  index: number;
  url: string;
  method: string;
  headers: { name: string; value: string }[];
  expiresAt: Date;
}

/** What arrived at media's own chunk URL. */
export interface ChunkByUrl {
  token: string;
  stream: Readable;
  /** The request's Content-Length, when it had one. */
  length?: number;
  /** The request's Content-MD5 (base64), when it had one. */
  contentMd5?: string;
}

/** URLs one chunkUploadUrls call may ask for. */
export const MAX_CHUNK_URLS = 100;

/** Counts the calls in some state right now (a Prometheus gauge in production). */
export interface InProgress {
  inc(): void;
  dec(): void;
}

/** What the service reports while it runs, each counted as it happens. */
export interface UploadGauges {
  /** Merge and abort calls waiting for another request's merge of the same upload. */
  mergeWaits?: InProgress;
  /** Chunk copies writing their bytes into the store. */
  chunkWrites?: InProgress;
  /** Chunk copies waiting for another copy of the same chunk to finish. */
  chunkWaits?: InProgress;
}

const uncounted: InProgress = { inc: () => undefined, dec: () => undefined };

/** Where an upload stands, for a client resuming it (after a crash, a reload, or on another device). */
export interface UploadStatusView {
  fileMd5: string;
  /** NOT_STARTED when the organisation has no session for the file. */
  state: UploadState | 'NOT_STARTED';
  fileName?: string;
  fileSize?: number;
  chunkSize: number;
  chunkTotal?: number;
  uploadedChunks: number[];
  missingChunks: number[];
  expiresAt?: Date;
  failure?: string;
  media?: MediaView;
}

export interface FileCheckView {
  exists: boolean;
  media?: MediaView;
  upload?: UploadStatusView;
  /** Set when another organisation holds the file: hash this range and call again with the proof. */
  proof?: PossessionChallenge;
}

export interface CheckFileInput {
  fileMd5: string;
  fileName: string;
  fileSize: number;
  proofMd5?: string;
}

export interface MergeInput {
  fileMd5: string;
  fileName: string;
  chunkTotal: number;
  tags?: string;
  remark?: string;
}

/** A caller waiting on another merge looks again after this, doubling up to the most. */
const MERGE_POLL_FIRST_MS = 50;
const MERGE_POLL_MAX_MS = 1000;

function md5Of(value: string, field: string): string {
  const md5 = value.trim().toLowerCase();
  if (!isMd5(md5))
    throw badInput(`${field} must be an MD5 in hex (32 characters 0-9, a-f).`, {
      fields: [{ field, message: 'not an MD5' }],
    });
  return md5;
}

/** Lets a stream run to its end unread, so the request carrying it completes. */
function drain(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject).resume());
}

/** The store's refusals of a part, in the words of the chunk they came from. */
function asChunkError(error: unknown, index: number, expected: number): unknown {
  if (!(error instanceof AppError)) return error;
  if (error.details.reason === 'SIZE_MISMATCH') {
    return badInput(`Chunk ${index} should have ${expected} bytes: ${error.message}`, {
      reason: 'CHUNK_SIZE_MISMATCH',
    });
  }
  if (error.details.reason === 'PART_CHECKSUM_MISMATCH') {
    return new AppError(ErrorCode.BAD_USER_INPUT, `Chunk ${index} arrived damaged: ${error.message}`, {
      reason: 'CHUNK_CHECKSUM_MISMATCH',
    });
  }
  return error;
}

/**
 * Resumable chunked uploads for large videos (断点续传): check the file (instant upload when it
 * is already stored), upload verified chunks in any order and in parallel, then merge them into
 * one stored file whose MD5 is verified before it enters the organisation's library.
 */
export class UploadSessionService {
  /** Process-wide, as the store and database behind every request's instance are. */
  private static readonly chunkWrites = new KeyedLock();
  /** Carries merges through under a lease, and takes over merges whose process died. */
  private readonly merges: UploadMergeService;
  private readonly gauges: Required<UploadGauges>;

  constructor(
    private readonly sessions: UploadSessionRepository,
    private readonly media: MediaRepository,
    private readonly store: ObjectStore,
    private readonly settings: UploadSettings,
    private readonly log: Logger,
    /** Rejects a merged file that is not really a video, and queues transcoding for one browsers cannot play. */
    videos: VideoIntake,
    options: UploadGauges & { pauses?: PausePoints } = {},
  ) {
    this.merges = new UploadMergeService(
      sessions,
      media,
      store,
      videos,
      settings.mergeLease,
      log,
      options.pauses ?? new PausePoints(),
    );
    this.gauges = {
      mergeWaits: options.mergeWaits ?? uncounted,
      chunkWrites: options.chunkWrites ?? uncounted,
      chunkWaits: options.chunkWaits ?? uncounted,
    };
  }

  private member(viewer: Viewer): { organisationId: string; userId: string } {
    requireSignedIn(viewer);
    requireRole(viewer, 'member');
    return { organisationId: requireOrganisation(viewer), userId: viewer.userId };
  }

  private async view(fileMd5: string, organisationId: string): Promise<MediaView | undefined> {
    const entry = await this.media.entry(fileMd5, organisationId);
    return entry ? mediaView(entry, this.store) : undefined;
  }

  private statusOf(session: UploadSession, uploaded: number[]): UploadStatusView {
    const have = new Set(uploaded);
    return {
      fileMd5: session.fileMd5,
      state: session.state,
      fileName: session.fileName,
      fileSize: session.fileSize,
      chunkSize: session.chunkSize,
      chunkTotal: session.chunkTotal,
      uploadedChunks: uploaded,
      missingChunks: Array.from({ length: session.chunkTotal }, (_, i) => i).filter((i) => !have.has(i)),
      expiresAt: new Date(session.lastActivityAt.getTime() + this.settings.sessionTtlSeconds * 1000),
      failure: session.failure ?? undefined,
    };
  }

  private expectedSize(session: UploadSession, index: number): number {
    return index < session.chunkTotal - 1
      ? session.chunkSize
      : session.fileSize - session.chunkSize * (session.chunkTotal - 1);
  }

  /** Ends a session for good: its multipart upload is aborted (where the store can) and its rows removed; false when a merge took it meanwhile. */
  private async discard(session: UploadSession): Promise<boolean> {
    await abortUploadParts(this.store, session, this.log);
    return this.sessions.delete(session.id);
  }

  /** Step 1: is the whole file already stored? If not, opens (or resumes) the upload session. */
  async checkFile(viewer: Viewer, input: CheckFileInput): Promise<FileCheckView> {
    const { organisationId, userId } = this.member(viewer);
    const fileMd5 = md5Of(input.fileMd5, 'fileMd5');
    const fileName = cleanFileName(input.fileName);
    if (!Number.isSafeInteger(input.fileSize) || input.fileSize < 1) {
      throw badInput("fileSize must be the file's size in bytes, at least 1.", {
        fields: [{ field: 'fileSize', message: 'must be a positive whole number' }],
      });
    }
    if (input.fileSize > this.settings.maxFileBytes)
      throw payloadTooLarge(
        `Files up to ${this.settings.maxFileBytes} bytes can be uploaded; this one has ${input.fileSize}.`,
      );

    const own = await this.view(fileMd5, organisationId);
    if (own) return { exists: true, media: own };

    const object = await this.media.object(fileMd5);
    if (object && (await this.store.stat(object.bucket, object.objectKey))) {
      // Another organisation uploaded these bytes: share them only with someone who proves they hold them too.
      const challenge = challengeFor(this.settings.proofKey, organisationId, fileMd5, object.size);
      if (!input.proofMd5) return { exists: false, proof: challenge };
      if (
        !provesPossession(
          md5Of(input.proofMd5, 'proof.rangeMd5'),
          await md5OfStoredRange(this.store, { bucket: object.bucket, key: object.objectKey }, challenge),
        )
      ) {
        throw badInput('The proof does not match the file: send the MD5 of the requested byte range of your copy.', {
          reason: 'PROOF_MISMATCH',
        });
      }
      await this.media.record(object, { organisationId, fileName, createdBy: userId });
      return { exists: true, media: await this.view(fileMd5, organisationId) };
    }

    let session = await this.unended(organisationId, fileMd5);
    if (session?.state === UploadState.MERGING && (await this.sessions.mergeIsUnheld(session.id))) {
      // A merge whose process died: finished here (or rolled back, and then the upload starts afresh).
      const merged = await this.merges.merge(session).catch((error: unknown) => {
        if (!isAppError(error)) throw error;
        return undefined;
      });
      if (merged) return { exists: true, media: await mediaView(merged, this.store) };
      session = await this.unended(organisationId, fileMd5);
    }
    if (session && session.fileSize !== input.fileSize) {
      throw conflict(
        `An upload of this file with ${session.fileSize} bytes is in progress; the same MD5 cannot have ${input.fileSize}. Abort it first if it was wrong.`,
        { reason: 'SIZE_MISMATCH' },
      );
    }
    // Not revived when the cleanup job expired it meanwhile: then it starts afresh, like any ended upload.
    if (session && !(await this.revived(session))) session = await this.unended(organisationId, fileMd5);
    if (!session) session = await this.open(organisationId, userId, fileMd5, fileName, input.fileSize);
    return { exists: false, upload: this.statusOf(session, await this.uploadedChunks(session)) };
  }

  /** The organisation's session of the file, unless it has ended (then it is discarded, to start afresh). */
  private async unended(organisationId: string, fileMd5: string): Promise<UploadSession | null> {
    const session = await this.sessions.find(organisationId, fileMd5);
    if (!session || session.state === UploadState.UPLOADING || session.state === UploadState.MERGING) return session;
    await this.discard(session);
    return null;
  }

  /** Uploads idle since before this are abandoned: they no longer count against the quota. */
  private activeSince(): Date {
    return new Date(Date.now() - this.settings.sessionTtlSeconds * 1000);
  }

  /** Refuses a session of `fileSize` bytes that would take the organisation past either limit. */
  private quota(fileSize: number): Admission {
    const { quotaSessions, quotaBytes } = this.settings;
    return (usage) => {
      const extensions = { openSessions: usage.sessions, openBytes: usage.bytes, fileSize };
      if (usage.sessions + 1 > quotaSessions) {
        throw conflict(
          `Your organisation has ${usage.sessions} uploads open, the most it may have at once (${quotaSessions}). Finish one (mergeChunks) or give it up (abortUpload), then call checkFile again.`,
          { reason: 'UPLOAD_QUOTA_SESSIONS', limit: quotaSessions, ...extensions },
        );
      }
      if (usage.bytes + fileSize > quotaBytes) {
        throw conflict(
          `Your organisation's ${usage.sessions} open uploads declare ${usage.bytes} bytes; with this file's ${fileSize} they would pass the ${quotaBytes} bytes allowed at once. Finish open uploads (mergeChunks) or give some up (abortUpload), then call checkFile again.`,
          { reason: 'UPLOAD_QUOTA_BYTES', limit: quotaBytes, ...extensions },
        );
      }
    };
  }

  /**
   * An uploading session idle past the time-to-live is abandoned and left out of the quota; one
   * its uploader comes back to counts again, if there is room. False when it has ended meanwhile.
   */
  private async revived(session: UploadSession): Promise<boolean> {
    const activeSince = this.activeSince();
    if (session.state !== UploadState.UPLOADING || session.lastActivityAt >= activeSince) return true;
    return this.sessions.reviveAdmitted(session, activeSince, this.quota(session.fileSize));
  }

  private async open(
    organisationId: string,
    userId: string,
    fileMd5: string,
    fileName: string,
    fileSize: number,
  ): Promise<UploadSession> {
    if (fileSize > this.settings.quotaBytes) {
      throw new AppError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `Your organisation's open uploads may declare ${this.settings.quotaBytes} bytes together; this file alone has ${fileSize}.`,
        {
          reason: 'UPLOAD_QUOTA_BYTES',
          limit: this.settings.quotaBytes,
        },
      );
    }
    // The key is fixed now, before any byte: the name says the type, and chunk 0 must agree (judgeChunkedFile).
    const plan = planFile(fileName);
    if (!plan) {
      throw badInput(
        `"${fileName}" does not name a type resumable uploads take: they take ${ALLOWED_CHUNKED_TYPES}, named with one of ${ALLOWED_CHUNKED_EXTENSIONS.join(' ')}.`,
        { reason: 'UNSUPPORTED_FILE_TYPE', fields: [{ field: 'fileName', message: 'unsupported extension' }] },
      );
    }
    const admit = this.quota(fileSize);
    // Refused before the store is asked for anything when clearly over; decided under the lock below.
    admit(await this.sessions.usage(organisationId, this.activeSince()));
    const video = plan.type === MediaType.VIDEO;
    // Videos keep the extension they were named with (.m4v stays .m4v); images and documents are keyed as uploadFile keys them.
    const bucket = video ? Buckets.video : Buckets.files;
    const objectKey = video
      ? videoKey(fileMd5, extname(fileName).toLowerCase())
      : fileKey(fileMd5, plan.extension, new Date());
    const chunkSize = this.settings.chunkSize;
    const multipartUploadId = await this.store.createMultipart(bucket, objectKey, {
      contentType: plan.mimeType,
      partSize: chunkSize,
    });
    const unused = () => this.store.abortMultipart(bucket, objectKey, multipartUploadId).catch(() => undefined);
    const fresh = {
      organisationId,
      fileMd5,
      fileName,
      fileSize,
      chunkSize,
      chunkTotal: Math.ceil(fileSize / chunkSize),
      bucket,
      objectKey,
      multipartUploadId,
      createdBy: userId,
    };
    const { session, created } = await this.sessions
      .createAdmitted(fresh, this.activeSince(), admit)
      .catch(async (error: unknown) => {
        await unused();
        throw error;
      });
    if (!created) await unused();
    return session;
  }

  /** Step 2: which chunks are stored, for resuming. */
  async status(viewer: Viewer, rawMd5: string): Promise<UploadStatusView> {
    const { organisationId } = this.member(viewer);
    const fileMd5 = md5Of(rawMd5, 'fileMd5');
    const session = await this.sessions.find(organisationId, fileMd5);
    if (session)
      return {
        ...this.statusOf(session, await this.uploadedChunks(session)),
        media: await this.view(fileMd5, organisationId),
      };
    const media = await this.view(fileMd5, organisationId);
    return {
      fileMd5,
      state: media ? UploadState.COMPLETED : 'NOT_STARTED',
      chunkSize: this.settings.chunkSize,
      uploadedChunks: [],
      missingChunks: [],
      media,
    };
  }

  async checkChunk(viewer: Viewer, rawMd5: string, index: number): Promise<boolean> {
    const { organisationId } = this.member(viewer);
    const session = await this.sessions.find(organisationId, md5Of(rawMd5, 'fileMd5'));
    const chunk = session && (await this.sessions.chunk(session.id, index));
    if (!session || !chunk) return false;
    // Only a declared chunk needs the store's word on whether it is there.
    return chunk.state === ChunkState.STORED || (await this.uploadedChunks(session)).includes(index);
  }

  private async uploading(organisationId: string, fileMd5: string): Promise<UploadSession> {
    const session = await this.sessions.find(organisationId, fileMd5);
    if (!session)
      throw badInput(`No upload of ${fileMd5} is open: call checkFile first.`, { reason: 'NO_UPLOAD_SESSION' });
    return this.stillUploading(session);
  }

  private async stillUploading(session: UploadSession): Promise<UploadSession> {
    if (session.state !== UploadState.UPLOADING || !(await this.revived(session))) {
      const state = session.state === UploadState.UPLOADING ? UploadState.EXPIRED : session.state;
      throw conflict(
        `The upload of ${session.fileMd5} is ${state.toLowerCase()}; chunks are only taken while uploading.`,
        { reason: 'UPLOAD_NOT_OPEN', state },
      );
    }
    return session;
  }

  private checkedIndex(session: UploadSession, index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= session.chunkTotal) {
      throw badInput(`Chunk index ${index} is out of range: this file has chunks 0 to ${session.chunkTotal - 1}.`, {
        reason: 'CHUNK_INDEX_OUT_OF_RANGE',
        fields: [{ field: 'index', message: 'out of range' }],
      });
    }
    return index;
  }

  /**
   * The indexes of the chunks the store holds, in order. Chunks that came through media are
   * known; chunks declared for direct upload count once the store lists their part with the
   * declared MD5 and size (they are then recorded as stored). Where the store cannot list parts,
   * declared chunks count as they are: the merge finds out (see UploadMergeService.joined).
   */
  private async uploadedChunks(session: UploadSession): Promise<number[]> {
    const rows = await this.sessions.chunks(session.id);
    const declared = rows.filter((row) => row.state === ChunkState.DECLARED);
    if (declared.length === 0) return rows.map((row) => row.index);
    const parts = await this.store.listParts(session.bucket, session.objectKey, session.multipartUploadId);
    if (!parts) return rows.map((row) => row.index);
    const listed = new Map(parts.map((part) => [part.partNumber - 1, part]));
    const uploaded: number[] = [];
    for (const row of rows) {
      const part = listed.get(row.index);
      if (row.state === ChunkState.DECLARED) {
        if (part?.etag !== row.md5 || part.size !== row.size) continue;
        await this.sessions.confirmChunk(session.id, row.index, row.md5);
      }
      uploaded.push(row.index);
    }
    return uploaded;
  }

  /**
   * URLs to send chunks straight to their place: presigned by the store (S3), which then checks
   * each body against its MD5, or, where the store takes no bytes from clients, media's own
   * `PUT /uploads/<token>`, which stores them as uploadChunk does. Chunks given store URLs are
   * recorded as declared: they count once the store shows them (see `uploadedChunks`).
   */
  async chunkUploadUrls(
    viewer: Viewer,
    input: { fileMd5: string; chunks: { index: number; chunkMd5: string }[] },
  ): Promise<ChunkUploadUrlView[]> {
    const { organisationId } = this.member(viewer);
    const fileMd5 = md5Of(input.fileMd5, 'fileMd5');
    if (input.chunks.length < 1 || input.chunks.length > MAX_CHUNK_URLS) {
      throw badInput(`Ask for 1 to ${MAX_CHUNK_URLS} chunk URLs at a time, not ${input.chunks.length}.`, {
        fields: [{ field: 'chunks', message: `1 to ${MAX_CHUNK_URLS} chunks` }],
      });
    }
    const chunks = input.chunks.map((chunk, i) => ({
      index: chunk.index,
      md5: md5Of(chunk.chunkMd5, `chunks[${i}].chunkMd5`),
    }));
    const indexes = new Set(chunks.map((chunk) => chunk.index));
    if (indexes.size !== chunks.length)
      throw badInput('Each chunk index may be asked for once per call.', {
        fields: [{ field: 'chunks', message: 'repeated index' }],
      });
    const session = await this.uploading(organisationId, fileMd5);
    for (const chunk of chunks) this.checkedIndex(session, chunk.index);
    const { tokens, publicUrl, ttlSeconds } = this.settings.chunkUrls;
    const declared: { index: number; size: number; md5: string }[] = [];
    const urls: ChunkUploadUrlView[] = [];
    for (const { index, md5 } of chunks) {
      const size = this.expectedSize(session, index);
      const base64 = Buffer.from(md5, 'hex').toString('base64');
      const direct = await this.store.partUploadUrl(
        session.bucket,
        session.objectKey,
        session.multipartUploadId,
        index + 1,
        {
          md5,
          size,
          expirySeconds: ttlSeconds,
        },
      );
      if (direct) {
        declared.push({ index, size, md5 });
        const headers = Object.entries(direct.headers).map(([name, value]) => ({ name, value }));
        urls.push({ index, url: direct.url, method: direct.method, headers, expiresAt: direct.expiresAt });
        continue;
      }
      const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
      const token = tokens.issue({
        organisationId,
        sessionId: session.id,
        multipartUploadId: session.multipartUploadId,
        index,
        size,
        md5,
        expires,
      });
      urls.push({
        index,
        url: `${publicUrl.replace(/\/+$/, '')}/uploads/${token}`,
        method: 'PUT',
        headers: [{ name: 'Content-MD5', value: base64 }],
        expiresAt: new Date(expires * 1000),
      });
    }
    if (declared.length > 0) await this.sessions.declareChunks(session.id, declared);
    return urls;
  }

  /**
   * A chunk sent to media's own URL (`PUT /uploads/<token>`): the token says which upload, chunk,
   * size and MD5 it may be, so no sign-in is needed; it is stored as uploadChunk stores chunks. A
   * token that is altered, expired, or no longer names an open upload of its organisation is
   * FORBIDDEN; the body is checked on the way (size and MD5), and a bad one recorded nowhere.
   */
  async uploadChunkByUrl(
    chunk: ChunkByUrl,
    signal?: AbortSignal,
  ): Promise<{ index: number; chunkMd5: string; size: number }> {
    const checked = this.settings.chunkUrls.tokens.check(chunk.token);
    if (!checked.valid) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        checked.reason === 'expired'
          ? 'This chunk upload URL has expired: ask chunkUploadUrls for a fresh one.'
          : 'This chunk upload URL was altered or is not one this service issued: ask chunkUploadUrls for a fresh one.',
        { reason: checked.reason === 'expired' ? 'UPLOAD_URL_EXPIRED' : 'UPLOAD_URL_INVALID' },
      );
    }
    const { claims } = checked;
    const found = await this.sessions.byId(claims.sessionId);
    if (
      !found ||
      found.organisationId !== claims.organisationId ||
      !this.settings.chunkUrls.tokens.bindsUpload(claims, found.multipartUploadId)
    ) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        'This chunk upload URL belongs to an upload that has ended, or to another organisation: call checkFile and chunkUploadUrls again.',
        { reason: 'UPLOAD_URL_INVALID' },
      );
    }
    const session = await this.stillUploading(found);
    const index = this.checkedIndex(session, claims.index);
    const expected = this.expectedSize(session, index);
    if (claims.size !== expected || (chunk.length !== undefined && chunk.length !== expected)) {
      throw badInput(
        `Chunk ${index} has ${expected} bytes; this request sends ${chunk.length ?? claims.size}: send exactly the chunk the URL was asked for.`,
        { reason: 'CHUNK_SIZE_MISMATCH' },
      );
    }
    if (chunk.contentMd5 !== undefined && chunk.contentMd5 !== Buffer.from(claims.md5, 'hex').toString('base64')) {
      throw badInput(
        `Chunk ${index} was asked for with another MD5 than this request's Content-MD5: send the headers the URL came with.`,
        { reason: 'CHUNK_CHECKSUM_MISMATCH' },
      );
    }
    await this.receive(session, index, claims.md5, chunk.stream, signal);
    return { index, chunkMd5: claims.md5, size: expected };
  }

  /**
   * Step 3: streams one chunk into the store, which checks its size and MD5 on the way; a bad chunk
   * is refused and not kept. The chunk is never held whole in memory. A copy of a chunk another
   * request is still sending waits for it a bounded time (that one may have gone silent: the body
   * idle limit drops it meanwhile), then hears CHUNK_UPLOADING; a caller that hangs up stops waiting.
   */
  async uploadChunk(
    viewer: Viewer,
    input: { fileMd5: string; index: number; chunkMd5: string; stream: Readable },
    signal?: AbortSignal,
  ): Promise<UploadStatusView> {
    const { organisationId } = this.member(viewer);
    const fileMd5 = md5Of(input.fileMd5, 'fileMd5');
    const chunkMd5 = md5Of(input.chunkMd5, 'chunkMd5');
    const session = await this.uploading(organisationId, fileMd5);
    let index: number;
    try {
      index = this.checkedIndex(session, input.index);
    } catch (error) {
      input.stream.resume();
      throw error;
    }
    await this.receive(session, index, chunkMd5, input.stream, signal);
    return this.statusOf(session, await this.uploadedChunks(session));
  }

  /** Stores one copy of a chunk; copies of one chunk sent at once (a client retrying) are stored one after the other. */
  private async receive(
    session: UploadSession,
    index: number,
    chunkMd5: string,
    stream: Readable,
    signal?: AbortSignal,
  ): Promise<void> {
    const wait = { waitMs: this.settings.chunkWaitMs, signal, waiters: this.gauges.chunkWaits };
    await UploadSessionService.chunkWrites
      .run(`${session.id}/${index}`, () => this.writeChunk(session, index, chunkMd5, stream), wait)
      .catch((error: unknown) => {
        if (!(error instanceof LockWaitTimeout)) throw error;
        stream.resume();
        throw conflict(
          `Chunk ${index} of ${session.fileMd5} is still arriving in another request (an earlier copy, perhaps gone silent); it is dropped once it sends nothing for a while: send this chunk again in a few seconds.`,
          { reason: 'CHUNK_UPLOADING', index },
        );
      });
  }

  /** Stores one copy of a chunk, holding the chunk's turn. */
  private async writeChunk(session: UploadSession, index: number, chunkMd5: string, stream: Readable): Promise<void> {
    const expected = this.expectedSize(session, index);
    this.gauges.chunkWrites.inc();
    try {
      const stored = await this.sessions.chunk(session.id, index);
      // A declared chunk is not known to be there: its bytes are stored again.
      if (stored?.md5 === chunkMd5 && stored.state === ChunkState.STORED) return await drain(stream);
      const body = index === 0 ? withCheckedHead(stream, SNIFF_BYTES, (head) => this.checkType(session, head)) : stream;
      try {
        const part = await this.store.uploadPart(
          session.bucket,
          session.objectKey,
          session.multipartUploadId,
          index + 1,
          body,
          expected,
          { md5: chunkMd5 },
        );
        await this.sessions.saveChunk({
          sessionId: session.id,
          index,
          size: expected,
          md5: chunkMd5,
          partEtag: part.etag,
        });
      } catch (error) {
        // A refused write may have replaced the part the row names (see PartOptions.md5).
        if (stored) await this.sessions.deleteChunk(session.id, index);
        throw asChunkError(error, index, expected);
      }
    } finally {
      this.gauges.chunkWrites.dec();
    }
  }

  /** Chunk 0's type, refused at once when it is none chunked uploads take or not the one the upload was opened as. */
  private checkType(session: UploadSession, head: Buffer): void {
    const judged = judgeChunkedFile(head, session.fileName, plannedFor(session.bucket, session.objectKey));
    if (!judged.accepted) throw badInput(judged.message, { reason: judged.reason });
  }

  /**
   * Step 4: joins the chunks into one stored file (copy-free: the chunks are its parts), verifies
   * its MD5, and records it. Idempotent, and safe when merges race or a merging process dies: the
   * merge holds a lease, a merge nobody holds any more is taken over and finished, and a caller
   * finding another live merge waits for it a bounded time, then hears UPLOAD_MERGING.
   */
  async merge(viewer: Viewer, input: MergeInput, signal?: AbortSignal): Promise<MediaView> {
    const { organisationId, userId } = this.member(viewer);
    const fileMd5 = md5Of(input.fileMd5, 'fileMd5');
    const entry = { fileName: cleanFileName(input.fileName), tags: input.tags, remark: input.remark, mergedBy: userId };
    return this.waitingOnMerges(fileMd5, signal, async () => {
      const session = await this.sessions.find(organisationId, fileMd5);
      if (!session) {
        const done = await this.view(fileMd5, organisationId);
        if (done) return { done };
        throw badInput(`No upload of ${fileMd5} is open: call checkFile first.`, { reason: 'NO_UPLOAD_SESSION' });
      }
      if (session.chunkTotal !== input.chunkTotal) {
        throw badInput(`This upload has ${session.chunkTotal} chunks, not ${input.chunkTotal}.`, {
          fields: [{ field: 'chunkTotal', message: `must be ${session.chunkTotal}` }],
        });
      }
      switch (session.state) {
        case UploadState.COMPLETED: {
          const done = await this.view(fileMd5, organisationId);
          if (done) return { done };
          throw conflict('This upload completed but its media entry was deleted since; upload the file again.', {
            reason: 'MEDIA_DELETED',
          });
        }
        case UploadState.MERGING:
          if (!(await this.sessions.mergeIsUnheld(session.id))) return undefined;
          break;
        case UploadState.UPLOADING: {
          const missing = this.statusOf(session, await this.uploadedChunks(session)).missingChunks;
          if (missing.length > 0) {
            const shown = missing.slice(0, 50).join(', ');
            throw badInput(`Chunks missing: ${shown}${missing.length > 50 ? ', …' : ''}. Upload them, then merge.`, {
              reason: 'CHUNKS_MISSING',
              missing,
            });
          }
          break;
        }
        default:
          throw conflict(
            `The upload ${session.state.toLowerCase()}${session.failure ? `: ${session.failure}` : ''}. Call checkFile to start again.`,
            { reason: 'UPLOAD_ENDED', state: session.state },
          );
      }
      const merged = await this.merges.merge(session, entry);
      return merged ? { done: await mediaView(merged, this.store) } : undefined;
    });
  }

  /**
   * Runs `attempt` until it settles the call (a result, or an error), waiting between attempts
   * while another live merge holds the upload: with backoff, until the wait bound, or until the
   * client goes away. Nothing of the call outlives either.
   */
  private async waitingOnMerges<T>(
    fileMd5: string,
    signal: AbortSignal | undefined,
    attempt: () => Promise<{ done: T } | undefined>,
  ): Promise<T> {
    const deadline = Date.now() + this.settings.mergeWaitMs;
    let waiting = false;
    try {
      for (let pause = MERGE_POLL_FIRST_MS; ; pause = Math.min(pause * 2, MERGE_POLL_MAX_MS)) {
        signal?.throwIfAborted();
        const settled = await attempt();
        if (settled) return settled.done;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw conflict(
            `The upload of ${fileMd5} is being merged by another request; merging, ask again in a few seconds.`,
            { reason: 'UPLOAD_MERGING' },
          );
        }
        if (!waiting) this.gauges.mergeWaits.inc();
        waiting = true;
        await sleep(Math.min(pause, left), undefined, { signal });
      }
    } finally {
      if (waiting) this.gauges.mergeWaits.dec();
    }
  }

  /**
   * Gives up an upload and frees its storage at once; false when there was none (or it completed).
   * A merge nobody holds any more is rolled back; a live one is waited for like a merge call.
   */
  async abort(viewer: Viewer, rawMd5: string, signal?: AbortSignal): Promise<boolean> {
    const { organisationId } = this.member(viewer);
    const fileMd5 = md5Of(rawMd5, 'fileMd5');
    return this.waitingOnMerges(fileMd5, signal, async () => {
      const session = await this.sessions.find(organisationId, fileMd5);
      if (!session || session.state === UploadState.COMPLETED) return { done: false };
      if (session.state !== UploadState.MERGING) return (await this.discard(session)) ? { done: true } : undefined;
      if (!(await this.sessions.mergeIsUnheld(session.id))) return undefined;
      return (await this.merges.abandon(session)) ? { done: true } : undefined;
    });
  }
}
