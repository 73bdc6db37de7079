import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export enum AuditDecision {
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
}

/** One auditor's decision on one submitted snapshot (course_audit); kept for good. */
@Entity({ tableName: 'course_audit' })
export class CourseAudit {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint', fieldName: 'course_id' })
  courseId!: string;

  @Enum({ items: () => AuditDecision })
  decision!: AuditDecision;

  @Property({ type: 'string', length: 500 })
  opinion!: string;

  @Property({ type: 'string', length: 64, fieldName: 'auditor_id' })
  auditorId!: string;

  @Property({ type: 'datetime', fieldName: 'audited_at' })
  auditedAt!: Date;

  /** When the snapshot this decision is about was submitted. */
  @Property({ type: 'datetime', fieldName: 'submitted_at' })
  submittedAt!: Date;
}
