import { Entity, Enum, OneToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { CourseGrade, PublishStatus, TeachingMode } from '@learnhub/contracts/published-course';
import { AuditStatus } from './course-dictionary';
import { CourseMarket } from './course-market.entity';

/** A course's base information (course_base); its marketing information shares its id. */
@Entity({ tableName: 'course_base' })
export class Course {
  [OptionalProps]?: 'auditStatus' | 'publishStatus' | 'createdAt' | 'changedAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 64, fieldName: 'organisation_id', index: 'course_base_org_idx' })
  organisationId!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  /** Who the course is for (the original's `users`). */
  @Property({ type: 'string', length: 500 })
  audience!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  tags?: string;

  @Property({ type: 'string', length: 32 })
  mt!: string;

  @Property({ type: 'string', length: 32 })
  st!: string;

  @Enum({ items: () => CourseGrade })
  grade!: CourseGrade;

  @Enum({ items: () => TeachingMode, fieldName: 'teaching_mode' })
  teachingMode!: TeachingMode;

  @Property({ type: 'text', nullable: true })
  description?: string;

  @Property({ type: 'string', length: 32, fieldName: 'cover_media_id', nullable: true })
  coverMediaId?: string;

  @Enum({ items: () => AuditStatus, fieldName: 'audit_status' })
  auditStatus: AuditStatus = AuditStatus.NOT_SUBMITTED;

  @Enum({ items: () => PublishStatus, fieldName: 'publish_status' })
  publishStatus: PublishStatus = PublishStatus.UNPUBLISHED;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', fieldName: 'changed_at' })
  changedAt: Date = new Date();

  @Property({ type: 'string', length: 64, fieldName: 'created_by' })
  createdBy!: string;

  @Property({ type: 'string', length: 64, fieldName: 'changed_by' })
  changedBy!: string;

  @OneToOne(
    () => CourseMarket,
    (market) => market.course,
    { nullable: true },
  )
  market?: Rel<CourseMarket>;
}
