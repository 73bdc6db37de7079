import { requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { conflict } from '@learnhub/platform/errors';
import type { TaskWakeup } from '@learnhub/platform/tasks';
import { PublishStatus } from '@learnhub/contracts/published-course';
import { AuditStatus } from '../entities/course-dictionary';
import type { CoursePublish } from '../entities/course-publish.entity';
import type { Course } from '../entities/course.entity';
import { outboxMessages, PublishAction } from '../entities/outbox-message.entity';
import type { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { publishedCourseRecord, type PublishedCourseRecord } from '../publishing/published-course-record';
import { assertCanRead, assertCanWrite } from './course-access';

/**
 * Publishing (only an approved course, by its owner), taking offline and putting back online. Each writes the
 * published record's next version, the course's publish status and an outbox message in one
 * transaction; the jobs' outbox processor then brings the page, the search document and the
 * cache entry up to that version. Workers are woken once the transaction has committed.
 */
export class CoursePublishService {
  constructor(
    private readonly publishing: CoursePublishingRepository,
    private readonly wakeup: Pick<TaskWakeup, 'notify'>,
  ) {}

  /** Publishes the approved snapshot (the owning organisation only). */
  publish(viewer: Viewer, courseId: string): Promise<PublishedCourseRecord> {
    return this.change(viewer, courseId, PublishAction.PUBLISH, async (publishing, course, existing, now) => {
      assertCanWrite(viewer, course, courseId);
      const snapshot = await publishing.snapshotRecord(courseId);
      if (!snapshot || snapshot.auditStatus !== AuditStatus.APPROVED) {
        throw conflict(
          `Course ${courseId} cannot be published: only an approved snapshot can be, and its audit status is ${course.auditStatus}. Submit it for audit and wait for an auditor's approval.`,
          { reason: 'NOT_APPROVED', auditStatus: course.auditStatus },
        );
      }
      const values = {
        organisationId: course.organisationId,
        name: snapshot.name,
        snapshot: snapshot.snapshot,
        status: PublishStatus.PUBLISHED,
        version: (existing?.version ?? 0) + 1,
        publishedAt: now,
        publishedBy: viewer.userId!,
        onlineAt: now,
        changedAt: now,
      };
      return existing
        ? Object.assign(existing, values)
        : publishing.newPublished({ id: course.id, offlineAt: null, ...values });
    });
  }

  /** Takes a published course offline: the owning organisation, or an admin. */
  takeOffline(viewer: Viewer, courseId: string): Promise<PublishedCourseRecord> {
    return this.change(viewer, courseId, PublishAction.OFFLINE, async (_publishing, course, existing, now) => {
      assertCanRead(viewer, course, courseId);
      if (!viewer.roles.includes('admin')) assertCanWrite(viewer, course, courseId);
      if (existing?.status !== PublishStatus.PUBLISHED) throw this.wrongStatus(course, 'taken offline', 'published');
      return Object.assign(existing, {
        status: PublishStatus.OFFLINE,
        version: existing.version + 1,
        offlineAt: now,
        changedAt: now,
      });
    });
  }

  /** Puts an offline course back online with its last published snapshot, without a new audit (the owning organisation). */
  bringOnline(viewer: Viewer, courseId: string): Promise<PublishedCourseRecord> {
    return this.change(viewer, courseId, PublishAction.ONLINE, async (_publishing, course, existing, now) => {
      assertCanWrite(viewer, course, courseId);
      if (existing?.status !== PublishStatus.OFFLINE) throw this.wrongStatus(course, 'brought online', 'offline');
      return Object.assign(existing, {
        status: PublishStatus.PUBLISHED,
        version: existing.version + 1,
        onlineAt: now,
        changedAt: now,
      });
    });
  }

  private wrongStatus(course: Course, verb: string, needed: string) {
    return conflict(
      `Course ${course.id} cannot be ${verb}: it must be ${needed}, and its publish status is ${course.publishStatus}.`,
      {
        reason: 'PUBLISH_STATUS',
        publishStatus: course.publishStatus,
      },
    );
  }

  private async change(
    viewer: Viewer,
    courseId: string,
    action: PublishAction,
    next: (
      publishing: CoursePublishingRepository,
      course: Course,
      existing: CoursePublish | null,
      now: Date,
    ) => Promise<CoursePublish>,
  ): Promise<PublishedCourseRecord> {
    requireSignedIn(viewer);
    const record = await this.publishing.transaction(async (publishing, courses) => {
      const course = await courses.lockWithMarket(courseId);
      assertCanRead(viewer, course, courseId);
      const saved = await next(publishing, course, await publishing.published(courseId), new Date());
      await publishing.savePublished(saved, action);
      await courses.setStatus(course, { publishStatus: saved.status });
      return saved;
    });
    await this.wakeup.notify(outboxMessages.queue);
    return publishedCourseRecord(record);
  }
}
