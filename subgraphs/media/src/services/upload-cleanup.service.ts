import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
import type { UploadSessionRepository } from '../repositories/upload-session.repository';

export interface CleanupSummary {
  expired: number;
  chunksFreed: number;
}

const BATCH = 100;

/**
 * Frees the storage of abandoned chunked uploads: a session with no chunk for longer than the
 * time-to-live loses its chunks (its multipart upload is aborted) and is marked EXPIRED, so
 * the uploader learns why on its next status call and starts again with checkFile.
 */
export class UploadCleanupService {
  constructor(
    private readonly sessions: UploadSessionRepository,
    private readonly store: ObjectStore,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
  ) {}

  async expireIdle(now: Date, signal?: AbortSignal): Promise<CleanupSummary> {
    const cutoff = new Date(now.getTime() - this.ttlSeconds * 1000);
    const summary: CleanupSummary = { expired: 0, chunksFreed: 0 };
    const hours = Math.round((this.ttlSeconds / 3600) * 10) / 10;
    for (;;) {
      const idle = await this.sessions.idleSince(cutoff, BATCH);
      for (const session of idle) {
        if (signal?.aborted) return summary;
        // A chunk arriving now keeps the session: the conditional update loses and nothing is freed.
        if (!(await this.sessions.expire(session, cutoff, `abandoned: no chunk arrived for ${hours} h`))) continue;
        try {
          await this.store.abortMultipart(session.bucket, session.objectKey, session.multipartUploadId);
        } catch (error) {
          // Some S3 stand-ins cannot abort; the bucket's lifecycle rule for incomplete uploads reclaims the parts.
          this.log.warn({ err: error, fileMd5: session.fileMd5 }, 'could not abort the multipart upload of an expired session');
        }
        summary.chunksFreed += (await this.sessions.chunkIndexes(session.id)).length;
        await this.sessions.deleteChunks(session.id);
        summary.expired += 1;
      }
      if (idle.length < BATCH) return summary;
    }
  }
}
