import type { PublishedCourseRecord as PublishedRecordOf } from '@learnhub/contracts/published-course';
import type { CoursePublish } from '../entities/course-publish.entity';
import type { CourseSnapshot } from './course-snapshot';

/** A published record with the whole snapshot, as content reads it. */
export type PublishedCourseRecord = PublishedRecordOf<CourseSnapshot>;

export function publishedCourseRecord(record: CoursePublish): PublishedCourseRecord {
  return {
    id: record.id,
    version: record.version,
    status: record.status,
    publishedAt: record.publishedAt.toISOString(),
    onlineAt: record.onlineAt?.toISOString(),
    offlineAt: record.offlineAt?.toISOString(),
    content: JSON.parse(record.snapshot) as CourseSnapshot,
  };
}
