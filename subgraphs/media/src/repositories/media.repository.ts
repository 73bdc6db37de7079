import { containsText } from '@learnhub/platform/database/contains-text';
import { UniqueConstraintViolationException, type EntityManager, type FilterQuery } from '@mikro-orm/core';
import { MediaFile } from '../entities/media-file.entity';
import { MediaObject, type MediaType } from '../entities/media-object.entity';

export interface MediaListFilter {
  organisationId: string;
  name?: string;
  type?: MediaType;
}

/** The only place that knows how media objects and library entries are stored. */
export class MediaRepository {
  constructor(private readonly em: EntityManager) {}

  async page(filter: MediaListFilter, offset: number, limit: number): Promise<[MediaFile[], number]> {
    const where: FilterQuery<MediaFile> = { organisationId: filter.organisationId };
    if (filter.name) Object.assign(where, containsText('file_name', filter.name));
    if (filter.type) where.object = { type: filter.type };
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
    return this.em.find(MediaFile, { object: { $in: [...fileMd5s] } }, { populate: ['object'], orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  object(fileMd5: string): Promise<MediaObject | null> {
    return this.em.findOne(MediaObject, { fileMd5 });
  }

  /**
   * Records a stored object and an organisation's entry for it, each only if absent; a
   * concurrent upload of the same bytes wins the race harmlessly and its rows are returned.
   */
  async record(object: Omit<MediaObject, 'createdAt'>, entry: Pick<MediaFile, 'organisationId' | 'fileName' | 'tags' | 'remark' | 'createdBy'>): Promise<MediaFile> {
    // Two attempts: a concurrent upload may create the object row (or this very entry) between our read and write.
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.entry(object.fileMd5, entry.organisationId);
      if (existing) return existing;
      try {
        await this.em.transactional(async (em) => {
          const stored = (await em.findOne(MediaObject, { fileMd5: object.fileMd5 })) ?? em.create(MediaObject, { ...object, createdAt: new Date() });
          em.create(MediaFile, { ...entry, object: stored, createdAt: new Date() });
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
