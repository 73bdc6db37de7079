import type { EntityManager } from '@mikro-orm/core';
import { isAppError, ErrorCode } from '@learnhub/platform/errors';
import { StageState } from '@learnhub/content/entities/outbox-message.entity';
import { isPublic, publishedCourseRecord } from '@learnhub/content/publishing/published-course-record';
import { CoursePublishingRepository } from '@learnhub/content/repositories/course-publishing.repository';
import type { MediaDirectory } from '@learnhub/content/services/media-directory';
import type { CourseDocument } from '@learnhub/search/documents/course-document';
import { publishedCourseDocument } from '@learnhub/search/documents/published-course-document';
import type { WriteOutcome } from '@learnhub/search/index/search-index';
import { PermanentTaskError } from '../../engine/processor';
import type { PublishStage, StageOutcome } from './publish-stage';

/** Where search documents go: the search service's indexing API in production. */
export interface CourseIndexWriter {
  upsert(document: CourseDocument): Promise<WriteOutcome>;
  remove(id: string, version: number): Promise<WriteOutcome>;
}

/** Stage 2: the search document, upserted while the course is published and removed while it is offline. The index keeps the newest version. */
export class SearchDocumentStage implements PublishStage {
  readonly name = 'search' as const;

  constructor(
    private readonly em: EntityManager,
    private readonly index: CourseIndexWriter,
    private readonly media: MediaDirectory,
  ) {}

  async run(courseId: string): Promise<StageOutcome> {
    const stored = await new CoursePublishingRepository(this.em.fork()).published(courseId);
    if (!stored) return { state: StageState.DONE, result: 'nothing is published for this course' };
    const record = publishedCourseRecord(stored);
    if (!isPublic(record)) {
      const outcome = await this.index.remove(courseId, record.version);
      return { state: StageState.DONE, result: `search document removed at version ${record.version} (${outcome})` };
    }
    const cover = record.content.coverMediaId;
    const coverUrl = cover ? ((await this.media.describe([cover], `outbox-search-${courseId}`)).get(cover)?.url ?? null) : null;
    try {
      const outcome = await this.index.upsert(publishedCourseDocument(record, coverUrl));
      return { state: StageState.DONE, result: `search document at version ${record.version} (${outcome})` };
    } catch (error) {
      // The index refused the document itself: retrying cannot help until a person fixes the course.
      if (isAppError(error) && error.code === ErrorCode.BAD_USER_INPUT) throw new PermanentTaskError(`the search service refused the document: ${error.message}`);
      throw error;
    }
  }
}
