/** The course enums, each with the original system's dictionary code for people migrating from it. */
export enum CourseGrade {
  BEGINNER = 'BEGINNER',
  INTERMEDIATE = 'INTERMEDIATE',
  ADVANCED = 'ADVANCED',
}
export enum TeachingMode {
  RECORDED = 'RECORDED',
  LIVE = 'LIVE',
}
export enum Charge {
  FREE = 'FREE',
  PAID = 'PAID',
}
export enum AuditStatus {
  NOT_SUBMITTED = 'NOT_SUBMITTED',
  SUBMITTED = 'SUBMITTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
export enum PublishStatus {
  UNPUBLISHED = 'UNPUBLISHED',
  PUBLISHED = 'PUBLISHED',
  OFFLINE = 'OFFLINE',
}

export const dictionaryCodes = {
  grade: { BEGINNER: '204001', INTERMEDIATE: '204002', ADVANCED: '204003' } satisfies Record<CourseGrade, string>,
  teachingMode: { RECORDED: '200002', LIVE: '200003' } satisfies Record<TeachingMode, string>,
  charge: { FREE: '201000', PAID: '201001' } satisfies Record<Charge, string>,
  auditStatus: { REJECTED: '202001', NOT_SUBMITTED: '202002', SUBMITTED: '202003', APPROVED: '202004' } satisfies Record<AuditStatus, string>,
  publishStatus: { UNPUBLISHED: '203001', PUBLISHED: '203002', OFFLINE: '203003' } satisfies Record<PublishStatus, string>,
};
