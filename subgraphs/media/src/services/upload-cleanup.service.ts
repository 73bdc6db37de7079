import { isAppError } from '@learnhub/platform/errors';
import type { Logger } from '@learnhub/platform/logger';
import type { MultipartUploadInfo, ObjectStore } from '@learnhub/platform/object-store';
import type { UploadSession } from '../entities/upload-session.entity';
import type { UploadSessionRepository } from '../repositories/upload-session.repository';
import type { UploadMergeService } from './upload-merge.service';
import { Buckets } from '../rules/object-keys';
import { abortUploadParts } from '../storage/upload-parts';

export interface CleanupSummary {
  expired: number;
  chunksFreed: number;
  /** Merges whose process died, finished into the library. */
  mergesFinished: number;
  /** Merges whose process died with nothing left to finish (or a file that failed its checks), rolled back. */
  mergesRolledBack: number;
  /** Multipart uploads no session needs (a process killed between beginning one and recording its session), aborted. */
  orphansFreed: number;
  /** Pieces a write cut off by a crash left in the object store (see ObjectStore.sweepDebris), removed. */
  debrisFreed: number;
}

const BATCH = 100;
// Far longer than the moment between beginning a multipart upload and recording its session.
const ORPHAN_AGE_MS = 60 * 60 * 1000;
// Longer than any write goes without touching its files: a request body idle for HTTP_BODY_IDLE_SECONDS (at most an hour) is cut off.
const DEBRIS_AGE_MS = 2 * 60 * 60 * 1000;

/**
 * Frees the storage of abandoned chunked uploads: a session with no chunk for longer than the
 * time-to-live loses its chunks (its multipart upload is aborted) and is marked EXPIRED, so
 * the uploader learns why on its next status call and starts again with checkFile. Merges whose
 * process died (lease run out) are finished or rolled back, and failed uploads still holding
 * chunks lose them, so no chunk outlives its session. What writes cut off by a crash left in the
 * object store is removed once old enough that no write in progress can own it.
 */
export class UploadCleanupService {
  constructor(
    private readonly sessions: UploadSessionRepository,
    private readonly store: ObjectStore,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
    private readonly merges: UploadMergeService,
  ) {}

  async run(now: Date, signal?: AbortSignal): Promise<CleanupSummary> {
    const summary: CleanupSummary = {
      expired: 0,
      chunksFreed: 0,
      mergesFinished: 0,
      mergesRolledBack: 0,
      orphansFreed: 0,
      debrisFreed: 0,
    };
    await this.recoverMerges(summary, signal);
    await this.freeFailed(summary, signal);
    await this.expireIdle(now, summary, signal);
    await this.sweepOrphans(now, summary, signal);
    await this.sweepDebris(now, summary, signal);
    return summary;
  }

  private async recoverMerges(summary: CleanupSummary, signal?: AbortSignal): Promise<void> {
    // Each merge taken leaves the list (finished, rolled back, or held by someone); one that fails
    // unexpectedly is given back and would be found again, so each is tried once per run.
    const tried = new Set<string>();
    for (;;) {
      const unheld = (await this.sessions.unheldMerges(BATCH + tried.size)).filter((session) => !tried.has(session.id));
      if (unheld.length === 0) return;
      for (const session of unheld) {
        if (signal?.aborted) return;
        tried.add(session.id);
        try {
          if (await this.merges.merge(session)) summary.mergesFinished += 1;
        } catch (error) {
          if (!isAppError(error)) {
            this.log.warn(
              { err: error, fileMd5: session.fileMd5 },
              'finishing a merge whose process died failed; the next run tries again',
            );
          } else if (error.details.reason !== 'UPLOAD_MERGING') summary.mergesRolledBack += 1;
        }
      }
    }
  }

  private async freeFailed(summary: CleanupSummary, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const failed = await this.sessions.failedWithChunks(BATCH);
      for (const session of failed) {
        if (signal?.aborted) return;
        await this.freeChunks(session, summary);
      }
      if (failed.length < BATCH) return;
    }
  }

  private async expireIdle(now: Date, summary: CleanupSummary, signal?: AbortSignal): Promise<void> {
    const cutoff = new Date(now.getTime() - this.ttlSeconds * 1000);
    const hours = Math.round((this.ttlSeconds / 3600) * 10) / 10;
    for (;;) {
      const idle = await this.sessions.idleSince(cutoff, BATCH);
      for (const session of idle) {
        if (signal?.aborted) return;
        // A chunk arriving now keeps the session: the conditional update loses and nothing is freed.
        if (!(await this.sessions.expire(session, cutoff, `abandoned: no chunk arrived for ${hours} h`))) continue;
        await this.freeChunks(session, summary);
        summary.expired += 1;
      }
      if (idle.length < BATCH) return;
    }
  }

  private async sweepOrphans(now: Date, summary: CleanupSummary, signal?: AbortSignal): Promise<void> {
    // Videos and, since chunked uploads take any file, images and documents.
    for (const bucket of [Buckets.video, Buckets.files]) await this.sweepOrphansOf(bucket, now, summary, signal);
  }

  private async sweepOrphansOf(
    bucket: string,
    now: Date,
    summary: CleanupSummary,
    signal?: AbortSignal,
  ): Promise<void> {
    const cutoff = now.getTime() - ORPHAN_AGE_MS;
    let batch: MultipartUploadInfo[] = [];
    const abortUnused = async () => {
      const inUse = await this.sessions.multipartsInUse(batch.map((upload) => upload.uploadId));
      for (const upload of batch.filter((candidate) => !inUse.has(candidate.uploadId))) {
        await this.store.abortMultipart(bucket, upload.key, upload.uploadId);
        summary.orphansFreed += 1;
      }
      batch = [];
    };
    try {
      for await (const upload of this.store.listMultipart(bucket)) {
        if (signal?.aborted) return;
        if (upload.initiated.getTime() > cutoff) continue;
        batch.push(upload);
        if (batch.length === BATCH) await abortUnused();
      }
      await abortUnused();
    } catch (error) {
      this.log.warn(
        { err: error, bucket },
        'could not sweep multipart uploads no session needs (does the object store list them?); the next run tries again',
      );
    }
  }

  private async sweepDebris(now: Date, summary: CleanupSummary, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    try {
      summary.debrisFreed = await this.store.sweepDebris(new Date(now.getTime() - DEBRIS_AGE_MS));
    } catch (error) {
      this.log.warn(
        { err: error },
        'could not sweep what crashed writes left in the object store; the next run tries again',
      );
    }
  }

  private async freeChunks(session: UploadSession, summary: CleanupSummary): Promise<void> {
    await abortUploadParts(this.store, session, this.log);
    summary.chunksFreed += (await this.sessions.chunkIndexes(session.id)).length;
    await this.sessions.deleteChunks(session.id);
  }
}
