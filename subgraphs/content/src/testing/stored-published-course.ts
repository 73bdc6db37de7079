import type { MikroORM } from '@mikro-orm/core';
import type { PublishedCourseRecord } from '@learnhub/contracts/published-course';
import { AuditStatus } from '../entities/course-dictionary';
import { CoursePublish } from '../entities/course-publish.entity';
import { Course } from '../entities/course.entity';
import type { CourseSnapshot } from '../publishing/course-snapshot';

/**
 * Stores a published record, and the course it belongs to, as publishing leaves them, for tests of
 * what reads published courses; storing one again replaces it (to take it offline, say). The
 * stored snapshot has no plan and no teachers.
 */
export async function storePublishedCourse(orm: MikroORM, record: PublishedCourseRecord): Promise<void> {
  const em = orm.em.fork();
  const { content } = record;
  const at = new Date(record.publishedAt);
  const snapshot: CourseSnapshot = { ...content, teachplan: [], teachers: [], takenAt: record.publishedAt };
  await em.upsert(Course, {
    id: record.id,
    organisationId: content.organisationId,
    name: content.name,
    audience: content.audience,
    tags: content.tags,
    mt: content.mt,
    st: content.st,
    grade: content.grade,
    teachingMode: content.teachingMode,
    description: content.description,
    coverMediaId: content.coverMediaId,
    auditStatus: AuditStatus.APPROVED,
    publishStatus: record.status,
    createdAt: at,
    changedAt: at,
    createdBy: 'fixture',
    changedBy: 'fixture',
  });
  await em.upsert(CoursePublish, {
    id: record.id,
    organisationId: content.organisationId,
    name: content.name,
    snapshot: JSON.stringify(snapshot),
    status: record.status,
    version: record.version,
    publishedAt: at,
    publishedBy: 'fixture',
    onlineAt: record.onlineAt ? new Date(record.onlineAt) : null,
    offlineAt: record.offlineAt ? new Date(record.offlineAt) : null,
    changedAt: at,
  });
}
