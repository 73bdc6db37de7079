// What other workspaces' tests, helpers and benches may use of content: its database as the content
// service would migrate it, courses taken to publication, the publish outbox and its stages, what
// publishing produces, and the service itself.
export { openContentDatabase } from '../database/content-database';
export { contentEntities } from '../entities/content-entities';
export { AuditDecision } from '../entities/course-audit.entity';
export {
  COURSE_PUBLISH_MESSAGE,
  OutboxMessage,
  outboxMessages,
  PublishAction,
  StageState,
  type CoursePublishPayload,
} from '../entities/outbox-message.entity';
export { readOutboxStages } from '../entities/outbox-stages.type';
export { contentMigrations } from '../migrations/migrations';
export { CacheEntryStage } from '../jobs/cache-entry-stage';
export { CoursePageStage } from '../jobs/course-page-stage';
export { CoursePublishProcessor, DuplicateStageError } from '../jobs/course-publish-processor';
export type { PublishStage } from '../jobs/publish-stage';
export { SearchDocumentStage, type CourseIndexWriter } from '../jobs/search-document-stage';
export { renderCoursePage } from '../publishing/course-page';
export { COURSE_PAGE_BUCKET, coursePageKey } from '../publishing/course-page-location';
export { snapshotMediaIds } from '../publishing/course-snapshot';
export {
  publishedCourseKey,
  readPublishedEntry,
  writePublishedEntry,
  type CachedPublishedCourse,
} from '../publishing/published-course-cache';
export { publishedCourseRecord, type PublishedCourseRecord } from '../publishing/published-course-record';
export { CourseCategoryRepository } from '../repositories/course-category.repository';
export { CoursePublishingRepository } from '../repositories/course-publishing.repository';
export { CourseRepository } from '../repositories/course.repository';
export { OutboxMessageRepository } from '../repositories/outbox-message.repository';
export { TeachplanRepository } from '../repositories/teachplan.repository';
export { CourseAuditService } from '../services/course-audit.service';
export { CoursePublishService } from '../services/course-publish.service';
export { CourseService } from '../services/course.service';
export { OutboxMessageService } from '../services/outbox-message.service';
export { TeachplanService } from '../services/teachplan.service';
export { startContent } from '../server';
export { approvedCourse, author, PUBLISHING_ORG } from './approved-course';
export { FakeMediaDirectory } from './fake-media-directory';
export { storePublishedCourse } from './stored-published-course';
