import { badInput } from '@learnhub/platform/errors';
import { AuditStatus } from '../entities/course-dictionary';
import { snapshotMediaIds, type CourseSnapshot } from '../publishing/course-snapshot';
import type { CoursePublishingRepository } from '../repositories/course-publishing.repository';

/** Where a course that binds a media item stands: deleting the item would break it. */
export type MediaUsageState = 'PUBLISHED' | 'SUBMITTED' | 'APPROVED';

export interface CourseUsingMedia {
  id: string;
  name: string;
  state: MediaUsageState;
}

/** Media ids are the MD5 of the bytes, as media names them: 32 lowercase hex digits. */
const MEDIA_ID = /^[0-9a-f]{32}$/;

const binds = (snapshot: string, mediaId: string) =>
  snapshotMediaIds(JSON.parse(snapshot) as CourseSnapshot).includes(mediaId);

/**
 * Which of an organisation's courses would break if a media item went away: those published now
 * whose published snapshot binds it (cover, section or teacher photo), and those whose submitted,
 * or approved but not yet published, snapshot binds it. Drafts are not counted: they are checked
 * again when submitted. Asked by media before it deletes an item.
 */
export class MediaUsageService {
  constructor(private readonly publishing: CoursePublishingRepository) {}

  async coursesUsing(organisationId: string, mediaId: string): Promise<CourseUsingMedia[]> {
    if (!MEDIA_ID.test(mediaId)) {
      throw badInput(`"${mediaId}" is not a media id: media ids are MD5 digests, 32 lowercase hex digits.`, {
        fields: [{ field: 'mediaId', message: 'must be an MD5 digest' }],
      });
    }
    if (!organisationId) {
      throw badInput('Name the organisation whose library holds the media (organisationId).', {
        fields: [{ field: 'organisationId', message: 'required' }],
      });
    }
    const { published, pending, publishedOfPending } = await this.publishing.snapshotsMentioning(
      organisationId,
      mediaId,
    );
    const found = new Map<string, CourseUsingMedia>();
    // The text search finds candidates (an id may also appear in a name or description); parsing confirms a binding.
    for (const record of published)
      if (binds(record.snapshot, mediaId))
        found.set(record.id, { id: record.id, name: record.name, state: 'PUBLISHED' });
    const publishedTakenAt = new Map(
      publishedOfPending.map((record) => [record.id, (JSON.parse(record.snapshot) as CourseSnapshot).takenAt]),
    );
    for (const record of pending) {
      if (found.has(record.id) || !binds(record.snapshot, mediaId)) continue;
      const takenAt = (JSON.parse(record.snapshot) as CourseSnapshot).takenAt;
      // An approved snapshot that is the published one is no longer pending: the published record decides.
      if (record.auditStatus === AuditStatus.APPROVED && publishedTakenAt.get(record.id) === takenAt) continue;
      found.set(record.id, {
        id: record.id,
        name: record.name,
        state: record.auditStatus === AuditStatus.SUBMITTED ? 'SUBMITTED' : 'APPROVED',
      });
    }
    return [...found.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }
}
