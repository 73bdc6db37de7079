import { isRowId } from '@learnhub/platform/database';
import { lockRow } from '@learnhub/platform/database';
import type { EntityManager } from '@mikro-orm/core';
import { PublishStatus } from '@learnhub/contracts/published-course';
import { AuditStatus } from '../entities/course-dictionary';
import { CourseAudit } from '../entities/course-audit.entity';
import { CoursePublishPre } from '../entities/course-publish-pre.entity';
import { CoursePublish } from '../entities/course-publish.entity';
import { COURSE_PUBLISH_MESSAGE, OutboxMessage, type PublishAction } from '../entities/outbox-message.entity';
import type { CourseSnapshot } from '../publishing/course-snapshot';
import { CourseRepository } from './course.repository';

export type NewAudit = Pick<
  CourseAudit,
  'courseId' | 'decision' | 'opinion' | 'auditorId' | 'auditedAt' | 'submittedAt'
>;

/**
 * The only place that knows how audit and publishing are stored: the pre-publish snapshot, the
 * audit records, the published record and the outbox messages that carry its changes out.
 */
export class CoursePublishingRepository {
  constructor(readonly em: EntityManager) {}

  /** Runs `work` in one transaction, starting from the stored rows rather than this request's copies. */
  transaction<T>(work: (tx: CoursePublishingRepository, courses: CourseRepository) => Promise<T>): Promise<T> {
    return this.em.transactional((em) => work(new CoursePublishingRepository(em), new CourseRepository(em)), {
      clear: true,
    });
  }

  /**
   * An organisation's published (PUBLISHED) and pending (SUBMITTED or APPROVED) snapshots whose
   * JSON contains `hex`, with the published records of the pending ones: candidates for the
   * caller to confirm by parsing. `hex` is hex digits only, so it needs no LIKE escaping.
   */
  async snapshotsMentioning(
    organisationId: string,
    hex: string,
  ): Promise<{ published: CoursePublish[]; pending: CoursePublishPre[]; publishedOfPending: CoursePublish[] }> {
    if (!/^[0-9a-f]+$/.test(hex)) throw new Error(`snapshotsMentioning takes hex digits only, not "${hex}".`);
    const snapshot = { $like: `%${hex}%` };
    const published = await this.em.find(
      CoursePublish,
      { organisationId, status: PublishStatus.PUBLISHED, snapshot },
      { orderBy: { id: 'asc' } },
    );
    const pending = await this.em.find(
      CoursePublishPre,
      { organisationId, auditStatus: { $in: [AuditStatus.SUBMITTED, AuditStatus.APPROVED] }, snapshot },
      { orderBy: { id: 'asc' } },
    );
    const approved = pending.filter((record) => record.auditStatus === AuditStatus.APPROVED).map((record) => record.id);
    const publishedOfPending = approved.length > 0 ? await this.em.find(CoursePublish, { id: { $in: approved } }) : [];
    return { published, pending, publishedOfPending };
  }

  snapshotRecord(courseId: string): Promise<CoursePublishPre | null> {
    return isRowId(courseId)
      ? this.em.findOne(CoursePublishPre, { id: courseId }, { refresh: true })
      : Promise.resolve(null);
  }

  /** The pre-publish snapshots of several courses in one query. */
  snapshotRecords(courseIds: readonly string[]): Promise<CoursePublishPre[]> {
    const valid = courseIds.filter(isRowId);
    return valid.length ? this.em.find(CoursePublishPre, { id: { $in: valid } }) : Promise.resolve([]);
  }

  /** Replaces the course's pre-publish snapshot with a new submission. */
  async saveSubmission(snapshot: CourseSnapshot, submittedBy: string, submittedAt: Date): Promise<CoursePublishPre> {
    const values = {
      organisationId: snapshot.organisationId,
      name: snapshot.name,
      snapshot: JSON.stringify(snapshot),
      auditStatus: AuditStatus.SUBMITTED,
      submittedAt,
      submittedBy,
      auditedAt: null,
      auditedBy: null,
    };
    const existing = await this.em.findOne(CoursePublishPre, { id: snapshot.id });
    const record = existing
      ? this.em.assign(existing, values)
      : this.em.create(CoursePublishPre, { id: snapshot.id, ...values });
    await this.em.flush();
    return record;
  }

  /** Submitted snapshots waiting for an auditor, the longest waiting first. */
  auditQueue(offset: number, limit: number): Promise<[CoursePublishPre[], number]> {
    return this.em.findAndCount(
      CoursePublishPre,
      { auditStatus: AuditStatus.SUBMITTED },
      { orderBy: { submittedAt: 'asc', id: 'asc' }, offset, limit },
    );
  }

  async recordAudit(record: CoursePublishPre, audit: NewAudit, status: AuditStatus): Promise<CourseAudit> {
    this.em.assign(record, { auditStatus: status, auditedAt: audit.auditedAt, auditedBy: audit.auditorId });
    const saved = this.em.create(CourseAudit, audit);
    await this.em.flush();
    return saved;
  }

  /** The audit records of several courses in one query, newest first. */
  auditsOf(courseIds: readonly string[]): Promise<CourseAudit[]> {
    const valid = courseIds.filter(isRowId);
    return valid.length
      ? this.em.find(CourseAudit, { courseId: { $in: valid } }, { orderBy: { id: 'desc' } })
      : Promise.resolve([]);
  }

  published(courseId: string): Promise<CoursePublish | null> {
    return isRowId(courseId)
      ? this.em.findOne(CoursePublish, { id: courseId }, { refresh: true })
      : Promise.resolve(null);
  }

  /** Up to `limit` records published now (offline ones left out) with ids after `afterId`, in id order: one page of a walk over them all. */
  publishedAfter(afterId: string, limit: number): Promise<CoursePublish[]> {
    return this.em.find(
      CoursePublish,
      { status: PublishStatus.PUBLISHED, id: { $gt: afterId } },
      { orderBy: { id: 'asc' }, limit },
    );
  }

  /** Writes the published record (a new version of it) and the outbox message that carries the change out. */
  async savePublished(record: CoursePublish, action: PublishAction): Promise<OutboxMessage> {
    this.em.persist(record);
    const message = this.em.create(OutboxMessage, {
      messageType: COURSE_PUBLISH_MESSAGE,
      businessKey1: record.id,
      businessKey2: String(record.version),
      businessKey3: action,
    });
    await this.em.flush();
    return message;
  }

  newPublished(values: Omit<CoursePublish, 'pageVersion'>): CoursePublish {
    return this.em.create(CoursePublish, values);
  }

  /**
   * Puts the page rendered for `version` while holding the published record's row, so page
   * writes for one course happen one at a time and in version order. `current`: the page already
   * shows the record's version (or a newer one) and is left alone; `moved`: the record changed
   * since the page was rendered (render again); `written`: the page now shows `version`.
   * A publish meanwhile waits for the row, which is held only for the object store's put.
   */
  async writePage(
    courseId: string,
    version: number,
    put: () => Promise<void>,
  ): Promise<'written' | 'current' | 'moved'> {
    return this.em.transactional(
      async (em) => {
        const record = await lockRow(em, CoursePublish, { id: courseId });
        if (!record || record.pageVersion >= record.version) return 'current';
        if (record.version !== version) return 'moved';
        await put();
        record.pageVersion = version;
        await em.flush();
        return 'written';
      },
      { clear: true },
    );
  }
}
