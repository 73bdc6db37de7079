import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { UploadChunk } from '../entities/upload-chunk.entity';
import { UploadSession, UploadState } from '../entities/upload-session.entity';

export type NewUploadSession = Pick<
  UploadSession,
  'organisationId' | 'fileMd5' | 'fileName' | 'fileSize' | 'chunkSize' | 'chunkTotal' | 'bucket' | 'objectKey' | 'multipartUploadId' | 'createdBy'
>;

const FRESH = { disableIdentityMap: true } as const;

/** The only place that knows how upload sessions and their chunks are stored. */
export class UploadSessionRepository {
  constructor(private readonly em: EntityManager) {}

  find(organisationId: string, fileMd5: string): Promise<UploadSession | null> {
    return this.em.findOne(UploadSession, { organisationId, fileMd5 }, FRESH);
  }

  /** Creates the session, or returns the one a concurrent caller created first (`created` false). */
  async create(session: NewUploadSession): Promise<{ session: UploadSession; created: boolean }> {
    const now = new Date();
    try {
      await this.em.insert(UploadSession, { ...session, state: UploadState.UPLOADING, createdAt: now, lastActivityAt: now });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const existing = await this.find(session.organisationId, session.fileMd5);
      if (existing) return { session: existing, created: false };
      throw error;
    }
    return { session: (await this.find(session.organisationId, session.fileMd5))!, created: true };
  }

  chunks(sessionId: string): Promise<UploadChunk[]> {
    return this.em.find(UploadChunk, { sessionId }, { ...FRESH, orderBy: { index: 'asc' } });
  }

  /** The indexes of the stored chunks, in order: all a status needs, without loading each chunk. */
  async chunkIndexes(sessionId: string): Promise<number[]> {
    const rows = await this.em.find(UploadChunk, { sessionId }, { ...FRESH, fields: ['index'], orderBy: { index: 'asc' } });
    return rows.map((row) => row.index);
  }

  chunk(sessionId: string, index: number): Promise<UploadChunk | null> {
    return this.em.findOne(UploadChunk, { sessionId, index }, FRESH);
  }

  /** Records a verified chunk; a chunk sent again (by a retry, or in parallel) replaces its row. */
  async saveChunk(chunk: Omit<UploadChunk, 'receivedAt'>): Promise<void> {
    const receivedAt = new Date();
    await this.em.upsert(UploadChunk, { ...chunk, receivedAt }, { onConflictFields: ['sessionId', 'index'], onConflictAction: 'merge' });
    await this.em.nativeUpdate(UploadSession, { id: chunk.sessionId }, { lastActivityAt: receivedAt });
  }

  async setMimeType(sessionId: string, mimeType: string): Promise<void> {
    await this.em.nativeUpdate(UploadSession, { id: sessionId }, { mimeType });
  }

  /** Moves the session from `from` to `to` only if it is still in `from`; true when this caller did. */
  async transition(sessionId: string, from: UploadState, to: UploadState, failure?: string): Promise<boolean> {
    const changed = await this.em.nativeUpdate(
      UploadSession,
      { id: sessionId, state: from },
      { state: to, lastActivityAt: new Date(), ...(failure === undefined ? {} : { failure: failure.slice(0, 1024) }) },
    );
    return changed === 1;
  }

  /** Sessions still holding storage (uploading, or failed before their chunks were freed) with no activity since `cutoff`, oldest first. */
  idleSince(cutoff: Date, limit: number): Promise<UploadSession[]> {
    return this.em.find(
      UploadSession,
      { state: { $in: [UploadState.UPLOADING, UploadState.FAILED] }, lastActivityAt: { $lt: cutoff } },
      { ...FRESH, orderBy: { lastActivityAt: 'asc', id: 'asc' }, limit },
    );
  }

  /** Marks an idle session expired, unless a chunk arrived since it was found idle; true when this caller did. */
  async expire(session: UploadSession, cutoff: Date, failure: string): Promise<boolean> {
    const changed = await this.em.nativeUpdate(
      UploadSession,
      { id: session.id, state: session.state, lastActivityAt: { $lt: cutoff } },
      { state: UploadState.EXPIRED, failure: failure.slice(0, 1024) },
    );
    return changed === 1;
  }

  async deleteChunks(sessionId: string): Promise<void> {
    await this.em.nativeDelete(UploadChunk, { sessionId });
  }

  async deleteChunk(sessionId: string, index: number): Promise<void> {
    await this.em.nativeDelete(UploadChunk, { sessionId, index });
  }

  /** Removes the session and its chunk rows. */
  async delete(sessionId: string): Promise<void> {
    await this.em.transactional(async (em) => {
      await em.nativeDelete(UploadChunk, { sessionId });
      await em.nativeDelete(UploadSession, { id: sessionId });
    });
  }
}
