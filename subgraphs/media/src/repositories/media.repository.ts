import { containsText } from '@learnhub/platform/database';
import { lockRow } from '@learnhub/platform/database';
import { UniqueConstraintViolationException, type EntityManager, type FilterQuery } from '@mikro-orm/core';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaFile, type MediaAuditStatus } from '../entities/media-file.entity';
import { MediaObject, type MediaType } from '../entities/media-object.entity';
import { MediaProcess } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';

export interface MediaListFilter {
  organisationId: string;
  name?: string;
  type?: MediaType;
  auditStatus?: MediaAuditStatus;
  /** Inclusive. */
  createdFrom?: Date;
  /** Exclusive. */
  createdTo?: Date;
}

/** A file's transcoding task as stored: `progress` is the percent its running attempt reported. */
export interface StoredTranscode {
  state: TaskState;
  progress?: number;
}

/** What removing an entry did: `released` is the object no row refers to any more, whose bytes are the caller's to delete. */
export interface RemovedEntry {
  released?: MediaObject;
}

/** The only place that knows how media objects and library entries are stored. */
export class MediaRepository {
  constructor(private readonly em: EntityManager) {}

  async page(filter: MediaListFilter, offset: number, limit: number): Promise<[MediaFile[], number]> {
    const where: FilterQuery<MediaFile> = { organisationId: filter.organisationId };
    if (filter.name) Object.assign(where, containsText('file_name', filter.name));
    if (filter.type) where.object = { type: filter.type };
    if (filter.auditStatus) where.auditStatus = filter.auditStatus;
    if (filter.createdFrom || filter.createdTo) {
      where.createdAt = {
        ...(filter.createdFrom && { $gte: filter.createdFrom }),
        ...(filter.createdTo && { $lt: filter.createdTo }),
      };
    }
    return this.em.findAndCount(MediaFile, where, {
      populate: ['object'],
      orderBy: { createdAt: 'desc', id: 'desc' },
      offset,
      limit,
    });
  }

  /** The entry of `organisationId` for a file, or with no organisation the earliest entry. */
  entry(fileMd5: string, organisationId?: string): Promise<MediaFile | null> {
    const where: FilterQuery<MediaFile> = { object: fileMd5 };
    if (organisationId !== undefined) where.organisationId = organisationId;
    return this.em.findOne(MediaFile, where, { populate: ['object'], orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** Every entry of the given files, earliest first, in one query. */
  entriesOf(fileMd5s: readonly string[]): Promise<MediaFile[]> {
    return this.em.find(
      MediaFile,
      { object: { $in: [...fileMd5s] } },
      { populate: ['object'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  object(fileMd5: string): Promise<MediaObject | null> {
    return this.em.findOne(MediaObject, { fileMd5 });
  }

  /**
   * The transcoding task of each of the given files that has (or had) one: its state, and the
   * progress a running attempt reported; in two queries at most.
   */
  async transcodes(fileMd5s: readonly string[]): Promise<Map<string, StoredTranscode>> {
    const tasks = await this.em.find(
      MediaProcess,
      { fileMd5: { $in: [...fileMd5s] } },
      { fields: ['fileMd5', 'state', 'progress'] },
    );
    const found = new Map<string, StoredTranscode>(
      tasks.map((task) => [task.fileMd5, { state: task.state, progress: task.progress ?? undefined }]),
    );
    const rest = fileMd5s.filter((md5) => !found.has(md5));
    if (rest.length > 0) {
      const done = await this.em.find(MediaProcessHistory, { fileMd5: { $in: rest } }, { fields: ['fileMd5'] });
      for (const task of done) found.set(task.fileMd5, { state: TaskState.SUCCEEDED });
    }
    return found;
  }

  /**
   * Removes an organisation's entry for a file, and with the last entry the stored object's row
   * and its transcoding task, in one transaction. Undefined when the organisation has no entry.
   */
  removeEntry(fileMd5: string, organisationId: string): Promise<RemovedEntry | undefined> {
    return this.em.transactional(async (em) => {
      // Removals of one object take turns on its row, so exactly one of them sees no entry left.
      const object = await lockRow(em, MediaObject, { fileMd5 });
      if (!object) return undefined;
      if ((await em.nativeDelete(MediaFile, { object: fileMd5, organisationId })) === 0) return undefined;
      // A locking read sees entries committed since this transaction began (MariaDB's snapshot would not).
      if (await lockRow(em, MediaFile, { object: fileMd5 })) return {};
      await em.nativeDelete(MediaProcess, { fileMd5 });
      await em.nativeDelete(MediaProcessHistory, { fileMd5 });
      await em.nativeDelete(MediaObject, { fileMd5 });
      return { released: object };
    });
  }

  /**
   * Records a stored object and an organisation's entry for it, each only if absent; a
   * concurrent upload of the same bytes wins the race harmlessly and its rows are returned.
   * `alongside` writes more in the same transaction (a transcoding task), when this call records the entry.
   */
  async record(
    object: Omit<MediaObject, 'createdAt'>,
    entry: Pick<MediaFile, 'organisationId' | 'fileName' | 'tags' | 'remark' | 'createdBy'>,
    alongside?: (em: EntityManager) => Promise<unknown>,
  ): Promise<MediaFile> {
    // Two attempts: a concurrent upload may create the object row (or this very entry) between our read and write.
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.entry(object.fileMd5, entry.organisationId);
      if (existing) return existing;
      try {
        await this.em.transactional(async (em) => {
          const stored =
            (await em.findOne(MediaObject, { fileMd5: object.fileMd5 })) ??
            em.create(MediaObject, { ...object, createdAt: new Date() });
          em.create(MediaFile, { ...entry, object: stored, createdAt: new Date() });
          await em.flush();
          await alongside?.(em);
        });
        break;
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        this.em.clear();
      }
    }
    const recorded = await this.entry(object.fileMd5, entry.organisationId);
    if (!recorded) throw new Error(`Media ${object.fileMd5} vanished while being recorded.`);
    return recorded;
  }
}
