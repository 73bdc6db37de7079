import { lockRow } from '@learnhub/platform/database';
import { sqlRows } from '@learnhub/platform/database';
import { DeadlockException, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { CoursePublicMedia } from '../entities/course-public-media.entity';
import { CoursePublication } from '../entities/course-publication.entity';

/** A course's publication as content reports it: the page and the media everyone may open. */
export interface CoursePublicationInput {
  courseId: string;
  version: number;
  organisationId: string;
  page: { bucket: string; key: string };
  publicMediaIds: string[];
}

export type PublicationOutcome = 'applied' | 'stale';

/** Which stored objects published courses made public. */
export class CoursePublicationRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Records a course's publication unless one at least as new is recorded (then `stale`), replacing
   * its public media set, in one transaction; concurrent reports of one course take turns on its row.
   */
  async apply(input: CoursePublicationInput): Promise<PublicationOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.em.transactional(async (em) => {
          const current = await lockRow(em, CoursePublication, { courseId: input.courseId });
          if (current && current.version >= input.version) return 'stale';
          const values = {
            version: input.version,
            organisationId: input.organisationId,
            pageBucket: input.page.bucket,
            pageKey: input.page.key,
            updatedAt: new Date(),
          };
          if (current) Object.assign(current, values);
          else em.create(CoursePublication, { courseId: input.courseId, ...values });
          await em.flush();
          await em.nativeDelete(CoursePublicMedia, { courseId: input.courseId });
          const ids = [...new Set(input.publicMediaIds)];
          if (ids.length > 0)
            await em.insertMany(
              CoursePublicMedia,
              ids.map((fileMd5) => ({ courseId: input.courseId, fileMd5 })),
            );
          return 'applied';
        });
      } catch (error) {
        // Two first reports of one course raced to insert its row (MariaDB: their gap locks deadlocked): the loser compares versions again.
        const raced = error instanceof UniqueConstraintViolationException || error instanceof DeadlockException;
        if (!raced || attempt > 1) throw error;
        this.em.clear();
      }
    }
  }

  /**
   * Whether `bucket`/`key` is a published course's page or any key (original, playback MP4,
   * poster) of media a published course shows; one statement, every branch on an index.
   */
  async isPublic(bucket: string, key: string): Promise<boolean> {
    const mediaBranch = (column: string) =>
      `select 1 as hit from media_objects o join course_public_media p on p.file_md5 = o.file_md5 where o.bucket = ? and o.${column} = ?`;
    const rows = await sqlRows(
      this.em,
      `select 1 as hit from course_publications where page_bucket = ? and page_key = ?
       union all ${mediaBranch('object_key')} union all ${mediaBranch('playback_key')} union all ${mediaBranch('poster_key')}
       limit 1`,
      [bucket, key, bucket, key, bucket, key, bucket, key],
    );
    return rows.length > 0;
  }

  publication(courseId: string): Promise<CoursePublication | null> {
    return this.em.findOne(CoursePublication, { courseId });
  }

  async publicMediaIds(courseId: string): Promise<string[]> {
    const rows = await this.em.find(CoursePublicMedia, { courseId }, { orderBy: { fileMd5: 'asc' } });
    return rows.map((row) => row.fileMd5);
  }
}
