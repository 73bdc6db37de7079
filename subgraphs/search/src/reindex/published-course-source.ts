import { openDatabase } from '@learnhub/platform/database/open-database';
import { PublishStatus } from '@learnhub/contracts/published-course';
import { CoursePublish } from '@learnhub/content/entities/course-publish.entity';
import { contentMigrations } from '@learnhub/content/migrations/migrations';
import { publishedCourseRecord } from '@learnhub/content/publishing/published-course-record';
import { contentEntities } from '@learnhub/content/entities/content-entities';
import type { MediaDirectory } from '@learnhub/media/client';
import { badInput } from '@learnhub/platform/errors';
import { type CourseDocument, publishedCourseDocument } from '@learnhub/contracts/course-index';

const BATCH = 500;

/**
 * Every course published now (offline ones are left out), read from content's published records
 * in batches, each batch's cover URLs asked of the media service in one call. Content's database
 * is only read: its owner migrates it.
 */
export async function* publishedCourses(contentDatabaseUrl: string, media: MediaDirectory, mediaUrl: string): AsyncGenerator<CourseDocument> {
  const orm = await openDatabase({ url: contentDatabaseUrl, entities: contentEntities, migrations: contentMigrations, migrate: false });
  try {
    let after = '0';
    for (;;) {
      const batch = await orm.em
        .fork()
        .find(CoursePublish, { status: PublishStatus.PUBLISHED, id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: BATCH });
      if (batch.length === 0) return;
      const records = batch.map(publishedCourseRecord);
      // Media describes an item only for its owner: one call per organisation in the batch.
      const coversByOrganisation = new Map<string, string[]>();
      for (const { content } of records) {
        if (content.coverMediaId) coversByOrganisation.set(content.organisationId, [...(coversByOrganisation.get(content.organisationId) ?? []), content.coverMediaId]);
      }
      const covers = new Map<string, Map<string, { url: string }>>();
      for (const [organisationId, ids] of coversByOrganisation) {
        try {
          covers.set(organisationId, await media.describe(ids, organisationId, 'reindex'));
        } catch (error) {
          throw badInput(
            `Cannot read cover URLs from the media service at ${mediaUrl} (${(error as Error).message}). Set MEDIA_URL to where media listens, and run with npm start's DATA_DIR (its gateway-secret file) or its GATEWAY_SECRET.`,
          );
        }
      }
      for (const record of records) {
        const cover = record.content.coverMediaId;
        yield publishedCourseDocument(record, (cover && covers.get(record.content.organisationId)?.get(cover)?.url) || null);
      }
      after = batch[batch.length - 1].id;
    }
  } finally {
    await orm.close();
  }
}
