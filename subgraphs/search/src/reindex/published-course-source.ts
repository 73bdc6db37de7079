import { type CourseDocument, publishedCourseDocument } from '@learnhub/contracts/course-index';
import { publishedCoursePages } from '@learnhub/content/published-courses';
import type { MediaDirectory } from '@learnhub/media/client';
import { badInput } from '@learnhub/platform/errors';

/**
 * Every course published now (offline ones are left out), read through content's published-courses
 * export in pages, each page's cover URLs asked of the media service in one call per organisation.
 */
export async function* publishedCourses(
  contentDatabaseUrl: string,
  media: MediaDirectory,
  mediaUrl: string,
): AsyncGenerator<CourseDocument> {
  for await (const records of publishedCoursePages(contentDatabaseUrl)) {
    // Media describes an item only for its owner: one call per organisation in the page.
    const coversByOrganisation = new Map<string, string[]>();
    for (const { content } of records) {
      if (content.coverMediaId)
        coversByOrganisation.set(content.organisationId, [
          ...(coversByOrganisation.get(content.organisationId) ?? []),
          content.coverMediaId,
        ]);
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
      yield publishedCourseDocument(
        record,
        (cover && covers.get(record.content.organisationId)?.get(cover)?.url) || null,
      );
    }
  }
}
