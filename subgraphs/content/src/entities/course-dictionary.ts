import type { Charge, CourseGrade, PublishStatus, TeachingMode } from '@learnhub/contracts/published-course';

/** Where a course's draft stands in audit; the published course's enums are in the contracts. */
export enum AuditStatus {
  NOT_SUBMITTED = 'NOT_SUBMITTED',
  SUBMITTED = 'SUBMITTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}

/** Each enum value's code in the original system's dictionary, for people migrating from it. */
export const dictionaryCodes = {
  grade: { BEGINNER: '204001', INTERMEDIATE: '204002', ADVANCED: '204003' } satisfies Record<CourseGrade, string>,
  teachingMode: { RECORDED: '200002', LIVE: '200003' } satisfies Record<TeachingMode, string>,
  charge: { FREE: '201000', PAID: '201001' } satisfies Record<Charge, string>,
  auditStatus: {
    REJECTED: '202001',
    NOT_SUBMITTED: '202002',
    SUBMITTED: '202003',
    APPROVED: '202004',
  } satisfies Record<AuditStatus, string>,
  publishStatus: { UNPUBLISHED: '203001', PUBLISHED: '203002', OFFLINE: '203003' } satisfies Record<
    PublishStatus,
    string
  >,
};
