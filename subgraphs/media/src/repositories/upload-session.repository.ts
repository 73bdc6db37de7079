import { raw, type EntityManager } from '@mikro-orm/core';
import { nowMsSql } from '@learnhub/platform/database';
import { databaseKindOf } from '@learnhub/platform/database';
import { newLeaseToken } from '@learnhub/platform/tasks';
import { sqlChanges, sqlRows } from '@learnhub/platform/database';
import { ChunkState, UploadChunk } from '../entities/upload-chunk.entity';
import { UploadSession, UploadState } from '../entities/upload-session.entity';

export type NewUploadSession = Pick<
  UploadSession,
  | 'organisationId'
  | 'fileMd5'
  | 'fileName'
  | 'fileSize'
  | 'chunkSize'
  | 'chunkTotal'
  | 'bucket'
  | 'objectKey'
  | 'multipartUploadId'
  | 'createdBy'
>;

const FRESH = { disableIdentityMap: true } as const;

/** What one organisation's open uploads hold: how many, and the sum of their declared sizes. */
export interface UploadUsage {
  sessions: number;
  bytes: number;
}

/** Accepts a usage by returning, refuses it by throwing; called with the organisation's quota row locked. */
export type Admission = (usage: UploadUsage) => void;

const OPEN_STATES = [UploadState.UPLOADING, UploadState.MERGING];

/** What a merge records in the library; kept on the session so whoever takes the merge over records the same. */
export interface MergeEntry {
  fileName: string;
  tags?: string;
  remark?: string;
  mergedBy: string;
}

/** The merge lease a caller holds on a session: every write of the merge's result names the token. */
export interface MergeLease {
  sessionId: string;
  token: string;
}

/** The only place that knows how upload sessions and their chunks are stored. */
export class UploadSessionRepository {
  constructor(private readonly em: EntityManager) {}

  find(organisationId: string, fileMd5: string): Promise<UploadSession | null> {
    return this.em.findOne(UploadSession, { organisationId, fileMd5 }, FRESH);
  }

  byId(sessionId: string): Promise<UploadSession | null> {
    return this.em.findOne(UploadSession, { id: sessionId }, FRESH);
  }

  /** The organisation's sessions uploading or merging with activity since `activeSince`; idle ones are abandoned and do not count. */
  async usage(organisationId: string, activeSince: Date, em: EntityManager = this.em): Promise<UploadUsage> {
    const open = await em.find(
      UploadSession,
      { organisationId, state: { $in: OPEN_STATES }, lastActivityAt: { $gte: activeSince } },
      { ...FRESH, fields: ['fileSize'] },
    );
    return { sessions: open.length, bytes: open.reduce((sum, session) => sum + session.fileSize, 0) };
  }

  /**
   * Runs `work` in a transaction holding the organisation's quota row, so everyone admitting
   * sessions of one organisation (in any media process) takes turns. A row, not an advisory lock,
   * because SQLite, PostgreSQL and MariaDB all lock a row the same way: by updating it.
   */
  private async underQuotaLock<T>(organisationId: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    // Created in its own statement: two transactions inserting the same new row would deadlock on MariaDB.
    const mariadb = databaseKindOf(this.em) === 'mariadb';
    await sqlChanges(
      this.em,
      `${mariadb ? 'insert ignore into' : 'insert into'} upload_quota_locks (organisation_id, admissions) values (?, 0)${mariadb ? '' : ' on conflict (organisation_id) do nothing'}`,
      [organisationId],
    );
    return this.em.transactional(async (em) => {
      await sqlChanges(em, 'update upload_quota_locks set admissions = admissions + 1 where organisation_id = ?', [
        organisationId,
      ]);
      return work(em);
    });
  }

  /**
   * Opens the session if `admit` accepts the organisation's usage, else lets its error through
   * and opens nothing. An existing session of the same file is returned (`created` false) unasked.
   */
  async createAdmitted(
    session: NewUploadSession,
    activeSince: Date,
    admit: Admission,
  ): Promise<{ session: UploadSession; created: boolean }> {
    return this.underQuotaLock(session.organisationId, async (em) => {
      const existing = await em.findOne(
        UploadSession,
        { organisationId: session.organisationId, fileMd5: session.fileMd5 },
        FRESH,
      );
      if (existing) return { session: existing, created: false };
      admit(await this.usage(session.organisationId, activeSince, em));
      const now = new Date();
      await em.insert(UploadSession, { ...session, state: UploadState.UPLOADING, createdAt: now, lastActivityAt: now });
      return {
        session: (await em.findOne(
          UploadSession,
          { organisationId: session.organisationId, fileMd5: session.fileMd5 },
          FRESH,
        ))!,
        created: true,
      };
    });
  }

  /**
   * Makes an uploading session idle since before `activeSince` count again (its activity is now),
   * if `admit` accepts the usage without it. False when it is no longer uploading (the cleanup
   * job expired it, say).
   */
  async reviveAdmitted(session: UploadSession, activeSince: Date, admit: Admission): Promise<boolean> {
    return this.underQuotaLock(session.organisationId, async (em) => {
      const current = await em.findOne(UploadSession, { id: session.id }, FRESH);
      if (current?.state !== UploadState.UPLOADING) return false;
      if (current.lastActivityAt >= activeSince) return true;
      admit(await this.usage(session.organisationId, activeSince, em));
      const lastActivityAt = new Date();
      const changed = await em.nativeUpdate(
        UploadSession,
        { id: session.id, state: UploadState.UPLOADING },
        { lastActivityAt },
      );
      if (changed === 1) session.lastActivityAt = lastActivityAt;
      return changed === 1;
    });
  }

  chunks(sessionId: string): Promise<UploadChunk[]> {
    return this.em.find(UploadChunk, { sessionId }, { ...FRESH, orderBy: { index: 'asc' } });
  }

  /** The indexes of the stored chunks, in order: all a status needs, without loading each chunk. */
  async chunkIndexes(sessionId: string): Promise<number[]> {
    const rows = await this.em.find(
      UploadChunk,
      { sessionId },
      { ...FRESH, fields: ['index'], orderBy: { index: 'asc' } },
    );
    return rows.map((row) => row.index);
  }

  chunk(sessionId: string, index: number): Promise<UploadChunk | null> {
    return this.em.findOne(UploadChunk, { sessionId, index }, FRESH);
  }

  /** Records a verified chunk (STORED); a chunk sent again (by a retry, or in parallel) replaces its row. */
  async saveChunk(chunk: Omit<UploadChunk, 'receivedAt' | 'state'>): Promise<void> {
    const receivedAt = new Date();
    await this.em.upsert(
      UploadChunk,
      { ...chunk, state: ChunkState.STORED, receivedAt },
      { onConflictFields: ['sessionId', 'index'], onConflictAction: 'merge' },
    );
    await this.em.nativeUpdate(UploadSession, { id: chunk.sessionId }, { lastActivityAt: receivedAt });
  }

  /**
   * Records chunks a client was given URLs to send straight to the store (DECLARED, their part
   * ETag the declared MD5, as S3 answers it). A row already naming the same MD5 stays as it is; a
   * row of other bytes is replaced, since the client may now overwrite that part.
   */
  async declareChunks(sessionId: string, chunks: { index: number; size: number; md5: string }[]): Promise<void> {
    const receivedAt = new Date();
    await this.em.transactional(async (em) => {
      const existing = await em.find(
        UploadChunk,
        { sessionId, index: { $in: chunks.map((chunk) => chunk.index) } },
        { ...FRESH, fields: ['index', 'md5'] },
      );
      const same = new Set(existing.map((row) => `${row.index}/${row.md5}`));
      for (const chunk of chunks) {
        if (same.has(`${chunk.index}/${chunk.md5}`)) continue;
        await em.upsert(
          UploadChunk,
          { sessionId, ...chunk, partEtag: chunk.md5, state: ChunkState.DECLARED, receivedAt },
          { onConflictFields: ['sessionId', 'index'], onConflictAction: 'merge' },
        );
      }
      await em.nativeUpdate(UploadSession, { id: sessionId }, { lastActivityAt: receivedAt });
    });
  }

  /** A declared chunk the store listed with its MD5 and size: STORED from now on (unless it was declared anew meanwhile). */
  async confirmChunk(sessionId: string, index: number, md5: string): Promise<void> {
    await this.em.nativeUpdate(
      UploadChunk,
      { sessionId, index, md5, state: ChunkState.DECLARED },
      { state: ChunkState.STORED, partEtag: md5 },
    );
  }

  /** Forgets the declared chunks the store would not complete; returns their indexes. */
  async forgetDeclared(sessionId: string, em: EntityManager = this.em): Promise<number[]> {
    const declared = await em.find(
      UploadChunk,
      { sessionId, state: ChunkState.DECLARED },
      { ...FRESH, fields: ['index'], orderBy: { index: 'asc' } },
    );
    await em.nativeDelete(UploadChunk, { sessionId, state: ChunkState.DECLARED });
    return declared.map((row) => row.index);
  }

  /**
   * Hands a merge this token holds back to uploading, forgetting its declared chunks (the store
   * refused them), in one transaction; the forgotten indexes, or undefined when the lease was lost.
   */
  async reopenForgettingDeclared(lease: MergeLease): Promise<number[] | undefined> {
    return this.em.transactional(async (em) =>
      (await this.leaveMerge(em, lease, { state: UploadState.UPLOADING }))
        ? this.forgetDeclared(lease.sessionId, em)
        : undefined,
    );
  }

  /** Leaves the merge `lease` holds for `changes` (the next state, ...); false when the lease is no longer held. */
  private async leaveMerge(
    em: EntityManager,
    lease: MergeLease,
    changes: { state: UploadState; failure?: string },
  ): Promise<boolean> {
    const changed = await em.nativeUpdate(
      UploadSession,
      { id: lease.sessionId, leaseToken: lease.token, state: UploadState.MERGING },
      { ...changes, leaseOwner: null, leaseToken: null, leaseUntilMs: null, lastActivityAt: new Date() } as never,
    );
    return changed === 1;
  }

  /** The database's clock (epoch ms) plus `ms`, as a value in a query or an update: every process compares leases on one clock. */
  private clockPlus(ms: number) {
    return raw(`${nowMsSql[databaseKindOf(this.em)]} + ?`, [ms]);
  }

  /** A merge that nobody holds: MERGING with a lease that ran out, or none (merges begun before leases existed). */
  private mergeUnheld() {
    return { state: UploadState.MERGING, $or: [{ leaseUntilMs: null }, { leaseUntilMs: { $lt: this.clockPlus(0) } }] };
  }

  /**
   * Takes the merge lease of an uploading session, or of a merge nobody holds any more (its process
   * died); `entry`, when given, replaces what the merge will record. Undefined when another holds it.
   */
  async takeMerge(
    sessionId: string,
    owner: string,
    leaseMs: number,
    entry?: MergeEntry,
  ): Promise<MergeLease | undefined> {
    const token = newLeaseToken(owner);
    const changed = await this.em.nativeUpdate(
      UploadSession,
      { id: sessionId, $or: [{ state: UploadState.UPLOADING }, this.mergeUnheld()] },
      {
        state: UploadState.MERGING,
        leaseOwner: owner.slice(0, 64),
        leaseToken: token,
        leaseUntilMs: this.clockPlus(leaseMs),
        lastActivityAt: new Date(),
        ...(entry
          ? {
              fileName: entry.fileName,
              tags: entry.tags ?? null,
              remark: entry.remark ?? null,
              mergedBy: entry.mergedBy,
            }
          : {}),
      } as never,
    );
    return changed === 1 ? { sessionId, token } : undefined;
  }

  /** True when the session is merging and nobody holds the merge. */
  async mergeIsUnheld(sessionId: string): Promise<boolean> {
    return (await this.em.count(UploadSession, { id: sessionId, ...this.mergeUnheld() })) === 1;
  }

  /** Extends the merge lease; false when it is no longer this token's. */
  async renewMerge(lease: MergeLease, leaseMs: number): Promise<boolean> {
    const changed = await this.em.nativeUpdate(
      UploadSession,
      { id: lease.sessionId, leaseToken: lease.token, state: UploadState.MERGING },
      { leaseUntilMs: this.clockPlus(leaseMs) } as never,
    );
    return changed === 1;
  }

  /** Gives the merge up unfinished (still MERGING), for the next caller to take over at once. */
  async releaseMerge(lease: MergeLease): Promise<void> {
    await this.em.nativeUpdate(
      UploadSession,
      { id: lease.sessionId, leaseToken: lease.token, state: UploadState.MERGING },
      { leaseUntilMs: this.clockPlus(-1) } as never,
    );
  }

  /**
   * Ends a merge this token still holds: COMPLETED, or FAILED with why; its chunk rows go with it.
   * Runs in `em`'s transaction when given one (the one recording the media). False when the lease was lost.
   */
  async endMerge(
    lease: MergeLease,
    to: UploadState.COMPLETED | UploadState.FAILED,
    failure?: string,
    em?: EntityManager,
  ): Promise<boolean> {
    const work = async (tx: EntityManager) => {
      const left = await this.leaveMerge(tx, lease, {
        state: to,
        ...(failure === undefined ? {} : { failure: failure.slice(0, 1024) }),
      });
      if (left) await tx.nativeDelete(UploadChunk, { sessionId: lease.sessionId });
      return left;
    };
    return em ? work(em) : this.em.transactional(work);
  }

  /** Removes a session whose merge this token holds, with its chunk rows; false when the lease was lost. */
  async deleteMerge(lease: MergeLease): Promise<boolean> {
    return this.em.transactional(async (tx) => {
      const deleted = await tx.nativeDelete(UploadSession, {
        id: lease.sessionId,
        leaseToken: lease.token,
        state: UploadState.MERGING,
      });
      if (deleted === 1) await tx.nativeDelete(UploadChunk, { sessionId: lease.sessionId });
      return deleted === 1;
    });
  }

  /** Merges nobody holds (their process died), oldest first. */
  unheldMerges(limit: number): Promise<UploadSession[]> {
    return this.em.find(UploadSession, this.mergeUnheld(), {
      ...FRESH,
      orderBy: { lastActivityAt: 'asc', id: 'asc' },
      limit,
    });
  }

  /** Failed sessions that still hold chunks (failed before merges freed them on failing), oldest first. */
  async failedWithChunks(limit: number): Promise<UploadSession[]> {
    const rows = await sqlRows(
      this.em,
      `select distinct c.session_id from upload_chunks c join upload_sessions s on s.id = c.session_id where s.state = ? order by c.session_id limit ?`,
      [UploadState.FAILED, limit],
    );
    if (rows.length === 0) return [];
    return this.em.find(
      UploadSession,
      { id: { $in: rows.map((row) => String(row.session_id)) } },
      { ...FRESH, orderBy: { id: 'asc' } },
    );
  }

  /** Of these multipart upload ids, those a session still needs: uploading, merging, or failed and not yet freed. */
  async multipartsInUse(uploadIds: string[]): Promise<Set<string>> {
    if (uploadIds.length === 0) return new Set();
    const sessions = await this.em.find(
      UploadSession,
      {
        multipartUploadId: { $in: uploadIds },
        state: { $in: [UploadState.UPLOADING, UploadState.MERGING, UploadState.FAILED] },
      },
      { ...FRESH, fields: ['multipartUploadId'] },
    );
    return new Set(sessions.map((session) => session.multipartUploadId));
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

  /** Removes the session and its chunk rows, unless a merge took it meanwhile; true when it did. */
  async delete(sessionId: string): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const deleted = await em.nativeDelete(UploadSession, { id: sessionId, state: { $ne: UploadState.MERGING } });
      if (deleted === 1) await em.nativeDelete(UploadChunk, { sessionId });
      return deleted === 1;
    });
  }
}
