import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { AuditStatus } from './course-dictionary';

/** The pre-publish record (course_publish_pre): the snapshot a submission froze, and where its audit stands. */
@Entity({ tableName: 'course_publish_pre' })
@Index({ name: 'course_publish_pre_queue_idx', properties: ['auditStatus', 'submittedAt'] })
export class CoursePublishPre {
  /** The course's id: one snapshot per course, replaced by each submission. */
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  id!: string;

  @Property({ type: 'string', length: 64, fieldName: 'organisation_id' })
  organisationId!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  /** A `CourseSnapshot` as JSON. */
  @Property({ type: 'text' })
  snapshot!: string;

  /** SUBMITTED, APPROVED or REJECTED. */
  @Enum({ items: () => AuditStatus, fieldName: 'audit_status' })
  auditStatus!: AuditStatus;

  @Property({ type: 'datetime', fieldName: 'submitted_at' })
  submittedAt!: Date;

  @Property({ type: 'string', length: 64, fieldName: 'submitted_by' })
  submittedBy!: string;

  @Property({ type: 'datetime', fieldName: 'audited_at', nullable: true })
  auditedAt?: Date | null;

  @Property({ type: 'string', length: 64, fieldName: 'audited_by', nullable: true })
  auditedBy?: string | null;
}
