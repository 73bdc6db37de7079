import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { AppError, badInput, conflict, ErrorCode, isAppError } from '@learnhub/platform/errors';
import type { PausePoints } from '@learnhub/platform/faults';
import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { LeaseKeeper } from '@learnhub/platform/tasks';
import { MediaType } from '../entities/media-object.entity';
import type { MediaFile } from '../entities/media-file.entity';
import { UploadState, type UploadSession } from '../entities/upload-session.entity';
import type { MediaRepository } from '../repositories/media.repository';
import type { MergeEntry, MergeLease, UploadSessionRepository } from '../repositories/upload-session.repository';
import { isMd5 } from '../rules/md5';
import { ChunkState } from '../entities/upload-chunk.entity';
import { judgeChunkedFile, plannedFor } from '../rules/chunked-file-types';
import { SNIFF_BYTES } from '../rules/mime-sniffer';
import { abortUploadParts } from '../storage/upload-parts';
import type { StoredObject, TranscodeDecision } from './transcode-queue';

/** What a merge needs from transcoding: `TranscodeQueue` in production. */
export interface VideoIntake {
  inspect(object: StoredObject): Promise<TranscodeDecision>;
  /** Runs in the transaction that records the media; true when a task was queued. */
  queue(em: EntityManager, object: StoredObject, decision: TranscodeDecision): Promise<boolean>;
  /** Called after that transaction committed with a task queued. */
  wake(): Promise<void>;
}

export interface MergeLeaseSettings {
  /** A merge whose process stops renewing is taken over after this long. */
  leaseMs: number;
  /** Names the merging process in the session row, for people. */
  owner: string;
}

/** The merge lease passed to someone else while this merge ran (it stalled past the lease): its result is theirs to write. */
export class MergeLeaseLostError extends AppError {
  constructor(fileMd5: string) {
    super(
      ErrorCode.CONFLICT,
      `The merge of ${fileMd5} stalled and was taken over by another request; merging, ask again for its result.`,
      { reason: 'UPLOAD_MERGING' },
    );
  }
}

/**
 * Carries one merge through under a lease on its upload session: joins the chunks (or finds them
 * joined by a merge that died), verifies the MD5, probes the video and records it, every write
 * of the result fenced by the lease's token. Each step can be run again after a crash, so whoever
 * takes over an expired lease (a merge call, an abort, checkFile or the cleanup job) finishes the
 * merge the same way, or rolls it back when there is nothing left to finish.
 */
export class UploadMergeService {
  constructor(
    private readonly sessions: UploadSessionRepository,
    private readonly media: MediaRepository,
    private readonly store: ObjectStore,
    private readonly videos: VideoIntake,
    private readonly settings: MergeLeaseSettings,
    private readonly log: Logger,
    private readonly pauses: PausePoints,
  ) {}

  /**
   * Takes the lease of an uploading session, or of a merge nobody holds, and merges; `entry`
   * replaces what the merge records (a merge call), else the session's is used (a takeover).
   * Undefined when another holds the lease. Rejects with the merge's failure after rolling it back.
   */
  async merge(session: UploadSession, entry?: MergeEntry): Promise<MediaFile | undefined> {
    const lease = await this.sessions.takeMerge(session.id, this.settings.owner, this.settings.leaseMs, entry);
    if (!lease) return undefined;
    const recorded: MergeEntry = entry ?? {
      fileName: session.fileName,
      tags: session.tags,
      remark: session.remark,
      mergedBy: session.mergedBy ?? session.createdBy,
    };
    return this.holding(session, lease, (held) => this.finish(session, lease, recorded, held));
  }

  /** Takes the lease of a merge nobody holds and gives the upload up: its stored bytes freed, the session removed. False when another holds it. */
  async abandon(session: UploadSession): Promise<boolean> {
    const lease = await this.sessions.takeMerge(session.id, this.settings.owner, this.settings.leaseMs);
    if (!lease) return false;
    return this.holding(session, lease, async () => {
      await this.freeStorage(session);
      if (!(await this.sessions.deleteMerge(lease))) throw new MergeLeaseLostError(session.fileMd5);
      return true;
    });
  }

  /**
   * Runs `work` with the lease kept renewed (its signal aborts once the lease is lost); an
   * unexpected failure gives the lease up, so the next caller takes over at once.
   */
  private async holding<T>(
    session: UploadSession,
    lease: MergeLease,
    work: (held: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const { leaseMs } = this.settings;
    const held = new AbortController();
    const keeper = new LeaseKeeper(held, () => this.sessions.renewMerge(lease, leaseMs), {
      leaseMs,
      renewEveryMs: Math.max(100, Math.floor(leaseMs / 3)),
      log: this.log,
      lost: () => new MergeLeaseLostError(session.fileMd5),
    });
    try {
      return await work(held.signal);
    } catch (error) {
      if (!isAppError(error)) {
        await this.sessions.releaseMerge(lease).catch((releaseError: unknown) => {
          // The lease then runs out on its own and the merge is taken over after it.
          this.log.warn(
            { err: releaseError, fileMd5: session.fileMd5 },
            'could not give up the lease of a failed merge',
          );
        });
      }
      throw error;
    } finally {
      keeper.stop();
    }
  }

  private async finish(
    session: UploadSession,
    lease: MergeLease,
    entry: MergeEntry,
    held: AbortSignal,
  ): Promise<MediaFile> {
    await this.pauses.reach('merge:leased');
    const joined = await this.joined(session, lease);
    // A merge that lost its lease stops before the slow steps; its writes would be refused anyway.
    held.throwIfAborted();
    if (!joined) {
      return this.rollBack(
        session,
        lease,
        'the merge was interrupted after its chunks were freed and before the file was kept: upload the file again',
        'CHUNKS_LOST',
      );
    }
    await this.pauses.reach('merge:joined');
    if (joined.md5 !== session.fileMd5 || joined.size !== session.fileSize) {
      const failure = `the merged file has MD5 ${joined.md5} and ${joined.size} bytes, but ${session.fileMd5} and ${session.fileSize} were declared`;
      return this.rollBack(
        session,
        lease,
        failure,
        'FILE_CHECKSUM_MISMATCH',
        `The merged file does not match: ${failure}. It was deleted; check the file and upload it again.`,
      );
    }
    // Chunk 0 may not have passed through media (sent straight to the store): its type is judged on the stored bytes.
    const judged = judgeChunkedFile(
      await this.storedHead(session),
      entry.fileName,
      plannedFor(session.bucket, session.objectKey),
    );
    if (!judged.accepted) return this.rollBack(session, lease, judged.message, judged.reason, judged.message);
    const object = {
      fileMd5: session.fileMd5,
      type: judged.sniffed.type,
      mimeType: judged.sniffed.mimeType,
      size: joined.size,
      bucket: session.bucket,
      objectKey: session.objectKey,
    };
    let decision: TranscodeDecision = { needed: false };
    if (object.type === MediaType.VIDEO) {
      try {
        decision = await this.videos.inspect(object);
      } catch (error) {
        if (!isAppError(error)) throw error;
        return this.rollBack(
          session,
          lease,
          error.message,
          String(error.details.reason ?? 'NOT_A_VIDEO'),
          error.message,
        );
      }
    }
    await this.pauses.reach('merge:verified');
    held.throwIfAborted();
    const { probe } = decision;
    let queued = false;
    let ended = false;
    const recorded = await this.media.record(
      { ...object, durationSeconds: probe?.durationSeconds, width: probe?.width, height: probe?.height },
      {
        organisationId: session.organisationId,
        fileName: entry.fileName,
        tags: entry.tags,
        remark: entry.remark,
        createdBy: entry.mergedBy,
      },
      async (em) => {
        // Images and documents are recorded as uploadFile records them: nothing to probe or convert.
        if (object.type === MediaType.VIDEO) queued = await this.videos.queue(em, object, decision);
        // The library entry commits only while this merge still holds the lease.
        ended = await this.sessions.endMerge(lease, UploadState.COMPLETED, undefined, em);
        if (!ended) throw new MergeLeaseLostError(session.fileMd5);
      },
    );
    // The organisation had the entry already (recorded by another way in): the merge only ends.
    if (!ended && !(await this.sessions.endMerge(lease, UploadState.COMPLETED)))
      throw new MergeLeaseLostError(session.fileMd5);
    if (queued) await this.videos.wake();
    return recorded;
  }

  /**
   * The joined file: the chunks completed into it now, or found complete (a merge that died after
   * joining them). Undefined when neither the chunks nor the file exist any more.
   */
  private async joined(session: UploadSession, lease: MergeLease): Promise<{ md5: string; size: number } | undefined> {
    const chunks = await this.sessions.chunks(session.id);
    try {
      const info = await this.store.completeMultipart(
        session.bucket,
        session.objectKey,
        session.multipartUploadId,
        chunks.map((c) => ({ partNumber: c.index + 1, etag: c.partEtag })),
      );
      // A store that hashed the whole object while joining says so with a plain MD5 ETag; S3's multipart ETags need one read.
      return { size: info.size, md5: isMd5(info.etag) ? info.etag : await this.hashStored(session) };
    } catch (error) {
      const stored = await this.store.stat(session.bucket, session.objectKey);
      if (stored) return { size: stored.size, md5: isMd5(stored.etag) ? stored.etag : await this.hashStored(session) };
      // Chunks sent straight to a store that cannot list parts count on trust until now: refused, they are forgotten, not the upload.
      if (
        !(isAppError(error) && error.code === ErrorCode.NOT_FOUND) &&
        chunks.some((c) => c.state === ChunkState.DECLARED)
      )
        await this.reopenWithoutDeclared(session, lease, error);
      // The store refusing the parts (gone, missing, damaged) is final; anything else (unreachable, say) may pass.
      if (isAppError(error) && (error.code === ErrorCode.NOT_FOUND || error.code === ErrorCode.BAD_USER_INPUT))
        return undefined;
      throw error;
    }
  }

  /**
   * The store would not complete the parts as declared (a declared chunk never arrived, or other
   * bytes did): the declared chunks are forgotten and the upload handed back, so the client sends
   * them again; never rejected with a wrong file, since a completed file is verified anyway.
   */
  private async reopenWithoutDeclared(session: UploadSession, lease: MergeLease, cause: unknown): Promise<never> {
    const missing = await this.sessions.reopenForgettingDeclared(lease);
    if (!missing) throw new MergeLeaseLostError(session.fileMd5);
    this.log.warn(
      { err: cause, fileMd5: session.fileMd5, missing },
      'the store refused chunks declared for direct upload; they were forgotten',
    );
    throw badInput(
      `Chunks missing: ${missing.join(', ')}. The store did not hold them as declared (sent straight to it, they never arrived whole): upload them again, then merge.`,
      { reason: 'CHUNKS_MISSING', missing },
    );
  }

  /** The first bytes of the joined file, for judging its type. */
  private async storedHead(session: UploadSession): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of await this.store.get(session.bucket, session.objectKey, {
      start: 0,
      end: SNIFF_BYTES - 1,
    }))
      parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  private async hashStored(session: UploadSession): Promise<string> {
    const hash = createHash('md5');
    for await (const part of await this.store.get(session.bucket, session.objectKey)) hash.update(part as Buffer);
    return hash.digest('hex');
  }

  /** Frees what the upload holds in the store: its multipart upload, and a joined file no media record uses. */
  private async freeStorage(session: UploadSession): Promise<void> {
    await abortUploadParts(this.store, session, this.log);
    if (!(await this.media.object(session.fileMd5))) await this.store.delete(session.bucket, session.objectKey);
  }

  /** Ends the merge FAILED with its storage freed (store first: a crash between leaves a merge to take over again), then rejects. */
  private async rollBack(
    session: UploadSession,
    lease: MergeLease,
    failure: string,
    reason: string,
    message?: string,
  ): Promise<never> {
    await this.freeStorage(session);
    await this.pauses.reach('merge:freed');
    if (!(await this.sessions.endMerge(lease, UploadState.FAILED, failure)))
      throw new MergeLeaseLostError(session.fileMd5);
    this.log.warn({ fileMd5: session.fileMd5, reason }, `merge rolled back: ${failure}`);
    throw message ? badInput(message, { reason }) : conflict(`The upload failed: ${failure}.`, { reason });
  }
}
