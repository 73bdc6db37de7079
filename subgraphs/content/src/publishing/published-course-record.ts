import { PublishStatus } from '../entities/course-dictionary';
import type { CoursePublish } from '../entities/course-publish.entity';
import type { CourseSnapshot } from './course-snapshot';

/** A published record as the public reads it and as the cache holds it (times as ISO 8601). */
export interface PublishedCourseRecord {
  id: string;
  version: number;
  status: PublishStatus;
  publishedAt: string;
  onlineAt?: string;
  offlineAt?: string;
  content: CourseSnapshot;
}

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

export const isPublic = (record: PublishedCourseRecord) => record.status === PublishStatus.PUBLISHED;
