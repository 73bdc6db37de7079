import { isAppError, ErrorCode } from '@learnhub/platform/errors';
import { StageState } from '../entities/outbox-message.entity';
import { isPublic } from '@learnhub/contracts/published-course';
import { type CourseDocument, publishedCourseDocument, type WriteOutcome } from '@learnhub/contracts/course-index';
import { PermanentTaskError } from '@learnhub/platform/tasks';
import type { PublishMessage, PublishStage, StageOutcome } from './publish-stage';

/** Where search documents go: the search service's indexing API in production. */
export interface CourseIndexWriter {
  upsert(document: CourseDocument): Promise<WriteOutcome>;
  remove(id: string, version: number): Promise<WriteOutcome>;
}

/** Stage 2: the search document, upserted while the course is published and removed while it is offline. The index keeps the newest version. */
export class SearchDocumentStage implements PublishStage {
  readonly name = 'search' as const;

  constructor(private readonly index: CourseIndexWriter) {}

  async run(message: PublishMessage): Promise<StageOutcome> {
    const record = await message.record();
    if (!record) return { state: StageState.DONE, result: 'nothing is published for this course' };
    if (!isPublic(record)) {
      const outcome = await this.index.remove(message.courseId, record.version);
      return { state: StageState.DONE, result: `search document removed at version ${record.version} (${outcome})` };
    }
    const cover = record.content.coverMediaId;
    const coverUrl = cover ? ((await message.media()).get(cover)?.url ?? null) : null;
    try {
      const outcome = await this.index.upsert(publishedCourseDocument(record, coverUrl));
      return { state: StageState.DONE, result: `search document at version ${record.version} (${outcome})` };
    } catch (error) {
      // The index refused the document itself: retrying cannot help until a person fixes the course.
      if (isAppError(error) && error.code === ErrorCode.BAD_USER_INPUT)
        throw new PermanentTaskError(`the search service refused the document: ${error.message}`);
      throw error;
    }
  }
}
