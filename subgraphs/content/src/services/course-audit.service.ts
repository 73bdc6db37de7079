import { requireRole, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { badInput, conflict, notFound } from '@learnhub/platform/errors';
import type { PageRequest } from '@learnhub/platform/graphql';
import type { MediaDirectory } from '@learnhub/media/client';
import { AuditDecision, type CourseAudit } from '../entities/course-audit.entity';
import { AuditStatus } from '../entities/course-dictionary';
import type { CoursePublishPre } from '../entities/course-publish-pre.entity';
import type { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import type { CourseRepository } from '../repositories/course.repository';
import { missingPieces } from '../publishing/course-completeness';
import { snapshotMediaIds, type CourseSnapshot } from '../publishing/course-snapshot';
import { assertCanWrite } from './course-access';
import { assembleCourse } from './course-assembler';

/** A submitted snapshot as auditors and its organisation see it. */
export interface AuditSnapshotView {
  courseId: string;
  organisationId: string;
  name: string;
  auditStatus: AuditStatus;
  submittedAt: Date;
  submittedBy: string;
  auditedAt?: Date;
  auditedBy?: string;
  content: CourseSnapshot;
}

export type AuditRecordView = Pick<
  CourseAudit,
  'id' | 'courseId' | 'decision' | 'opinion' | 'auditorId' | 'auditedAt' | 'submittedAt'
>;

export interface AuditInput {
  courseId: string;
  decision: AuditDecision;
  opinion?: string | null;
}

const OPINION_MAX = 500;

export const auditSnapshotView = (record: CoursePublishPre): AuditSnapshotView => ({
  courseId: record.id,
  organisationId: record.organisationId,
  name: record.name,
  auditStatus: record.auditStatus,
  submittedAt: record.submittedAt,
  submittedBy: record.submittedBy,
  auditedAt: record.auditedAt ?? undefined,
  auditedBy: record.auditedBy ?? undefined,
  content: JSON.parse(record.snapshot) as CourseSnapshot,
});

const recordView = (audit: CourseAudit): AuditRecordView => ({
  id: audit.id,
  courseId: audit.courseId,
  decision: audit.decision,
  opinion: audit.opinion,
  auditorId: audit.auditorId,
  auditedAt: audit.auditedAt,
  submittedAt: audit.submittedAt,
});

const alreadySubmitted = (courseId: string) =>
  conflict(
    `Course ${courseId} is already submitted and waits for an auditor; it can be submitted again once it has been approved or rejected.`,
    {
      reason: 'ALREADY_SUBMITTED',
    },
  );

/** Submitting a course for audit (refused while incomplete or already waiting), and the auditor's approval or rejection with an opinion. */
export class CourseAuditService {
  constructor(
    private readonly courses: CourseRepository,
    private readonly publishing: CoursePublishingRepository,
    private readonly media: MediaDirectory,
  ) {}

  /**
   * Freezes the course into its pre-publish snapshot and marks it submitted, in one transaction.
   * Refused while a submission waits, and while anything is missing: every missing piece is named.
   */
  async submit(viewer: Viewer, requestId: string, courseId: string): Promise<AuditSnapshotView> {
    requireSignedIn(viewer);
    const course = await this.courses.byId(courseId);
    assertCanWrite(viewer, course, courseId);
    if (course.auditStatus === AuditStatus.SUBMITTED) throw alreadySubmitted(courseId);
    // The media service is asked before any row is locked: a remote call must not hold up writers.
    const draft = await assembleCourse(this.publishing.em, course);
    const media = await this.media.describe(snapshotMediaIds(draft), draft.organisationId, requestId);
    this.assertComplete(courseId, draft, media);
    const record = await this.publishing.transaction(async (publishing, courses) => {
      const locked = await courses.lockWithMarket(courseId);
      assertCanWrite(viewer, locked, courseId);
      if (locked.auditStatus === AuditStatus.SUBMITTED) throw alreadySubmitted(courseId);
      const snapshot = await assembleCourse(publishing.em, locked);
      if (snapshotMediaIds(snapshot).some((id) => !media.has(id))) {
        throw conflict(`Course ${courseId} changed its media while it was being submitted; submit it again.`, {
          reason: 'COURSE_CHANGED',
        });
      }
      this.assertComplete(courseId, snapshot, media);
      const saved = await publishing.saveSubmission(snapshot, viewer.userId, new Date());
      await courses.setStatus(locked, { auditStatus: AuditStatus.SUBMITTED });
      return saved;
    });
    return auditSnapshotView(record);
  }

  private assertComplete(courseId: string, snapshot: CourseSnapshot, media: Parameters<typeof missingPieces>[1]): void {
    const missing = missingPieces(snapshot, media);
    if (missing.length === 0) return;
    throw badInput(
      `Course ${courseId} cannot be submitted for audit yet: ${missing.map((piece) => piece.message).join('; ')}.`,
      {
        reason: 'COURSE_INCOMPLETE',
        fields: missing,
      },
    );
  }

  /** Submitted snapshots waiting for a decision, the longest waiting first (auditors and admins). */
  async queue(viewer: Viewer, page: PageRequest): Promise<{ items: AuditSnapshotView[]; total: number }> {
    requireRole(viewer, 'auditor', 'admin');
    const [records, total] = await this.publishing.auditQueue(page.offset, page.limit);
    return { items: records.map(auditSnapshotView), total };
  }

  /** The latest submission of several courses (already visible to the caller), in one query. */
  async snapshots(courseIds: readonly string[]): Promise<Map<string, AuditSnapshotView>> {
    return new Map(
      (await this.publishing.snapshotRecords(courseIds)).map((record) => [record.id, auditSnapshotView(record)]),
    );
  }

  /** Approves or rejects the submitted snapshot with an opinion; the snapshot and the course take the decision's status. */
  async audit(viewer: Viewer, input: AuditInput): Promise<AuditRecordView> {
    requireRole(viewer, 'auditor', 'admin');
    const opinion = input.opinion?.trim() ?? '';
    if (input.decision === AuditDecision.REJECT && opinion === '') {
      throw badInput('A rejection needs an opinion telling the organisation what to change.', {
        fields: [{ field: 'opinion', message: 'is required to reject' }],
      });
    }
    if (opinion.length > OPINION_MAX) {
      throw badInput(`The opinion is ${opinion.length} characters long; at most ${OPINION_MAX} are allowed.`, {
        fields: [{ field: 'opinion', message: `at most ${OPINION_MAX} characters` }],
      });
    }
    const status = input.decision === AuditDecision.APPROVE ? AuditStatus.APPROVED : AuditStatus.REJECTED;
    const saved = await this.publishing.transaction(async (publishing, courses) => {
      const course = await courses.lockWithMarket(input.courseId);
      if (!course) throw notFound('Course', input.courseId);
      const record = await publishing.snapshotRecord(input.courseId);
      if (!record || record.auditStatus !== AuditStatus.SUBMITTED) {
        throw conflict(
          `Course ${input.courseId} has no submission waiting for audit (its audit status is ${course.auditStatus}).`,
          { reason: 'NOT_SUBMITTED' },
        );
      }
      const audit = await publishing.recordAudit(
        record,
        {
          courseId: course.id,
          decision: input.decision,
          opinion: opinion || '审核通过',
          auditorId: viewer.userId!,
          auditedAt: new Date(),
          submittedAt: record.submittedAt,
        },
        status,
      );
      await courses.setStatus(course, { auditStatus: status });
      return audit;
    });
    return recordView(saved);
  }

  /** Audit records of several courses (already visible to the caller), newest first. */
  async history(courseIds: readonly string[]): Promise<Map<string, AuditRecordView[]>> {
    const byCourse = new Map<string, AuditRecordView[]>(courseIds.map((id) => [id, []]));
    for (const audit of await this.publishing.auditsOf(courseIds))
      byCourse.get(audit.courseId)?.push(recordView(audit));
    return byCourse;
  }
}
