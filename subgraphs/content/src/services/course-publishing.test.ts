import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Viewer } from '@learnhub/platform/auth';
import { sqlRows } from '@learnhub/platform/database';
import type { AppError } from '@learnhub/platform/errors';
import { appError } from '@learnhub/platform/testing';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { Charge, CourseGrade, PublishStatus, TeachingMode } from '@learnhub/contracts/published-course';
import type { Caller } from '@learnhub/media/client';
import { AuditDecision } from '../entities/course-audit.entity';
import { AuditStatus } from '../entities/course-dictionary';
import { OutboxMessage, PublishAction } from '../entities/outbox-message.entity';
import { contentMigrations } from '../migrations/migrations';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { CourseRepository } from '../repositories/course.repository';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { TeachplanRepository } from '../repositories/teachplan.repository';
import { contentEntities } from '../entities/content-entities';
import { FakeMediaDirectory } from '../testing/fake-media-directory';
import { CourseAuditService } from './course-audit.service';
import { CoursePublishService } from './course-publish.service';
import { CourseService } from './course.service';
import { TeachplanService } from './teachplan.service';

const IMAGE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const VIDEO_ID = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const TRANSCODING_ID = 'cccccccccccccccccccccccccccccccc';

const author: Viewer = { userId: 'u-author', roles: ['member'], organisationId: 'org-1' };
const stranger: Viewer = { userId: 'u-stranger', roles: ['member'], organisationId: 'org-2' };
const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };
const admin: Viewer = { userId: 'u-admin', roles: ['admin'] };
const caller: Caller = { authorization: 'Bearer member-token', requestId: 'req-1' };

/** Passes when `error` is BAD_USER_INPUT COURSE_INCOMPLETE naming exactly `fields`. */
const incomplete =
  (...fields: string[]) =>
  (error: unknown): true => {
    appError('BAD_USER_INPUT')(error);
    const { details, message } = error as AppError;
    assert.equal(details.reason, 'COURSE_INCOMPLETE');
    assert.deepEqual(
      details.fields?.map((problem) => problem.field),
      fields,
      message,
    );
    for (const problem of details.fields ?? [])
      assert.ok(message.includes(problem.message), `${problem.message} missing from: ${message}`);
    return true;
  };

for (const factory of testDatabases('course audit and publishing')) {
  describe(`course audit and publishing on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: contentEntities, migrations: contentMigrations });
    let media: FakeMediaDirectory;
    /** Test double of the wake-up port: the real transports are tested in platform. */
    let wakeups: string[];

    beforeEach(() => {
      wakeups = [];
      media = new FakeMediaDirectory()
        .add({ id: IMAGE_ID, type: 'IMAGE', organisationId: 'org-1', fileName: 'cover.png' })
        .add({ id: VIDEO_ID, type: 'VIDEO', organisationId: 'org-1', fileName: 'lesson-1.mp4' })
        .add(
          { id: TRANSCODING_ID, type: 'VIDEO', organisationId: 'org-1', fileName: 'lesson-2.avi' },
          { playable: false, transcodeState: 'PROCESSING' },
        );
    });

    /** The services over a fresh EntityManager, as each request gets them. */
    const services = () => {
      const em = db.orm.em.fork();
      const courses = new CourseRepository(em);
      const publishing = new CoursePublishingRepository(em);
      return {
        courses: new CourseService(courses, new CourseCategoryRepository(em), media),
        plans: new TeachplanService(courses, new TeachplanRepository(em, courses), media),
        audits: new CourseAuditService(courses, publishing, media),
        publisher: new CoursePublishService(publishing, { notify: async (queue) => void wakeups.push(queue) }),
        publishing,
      };
    };

    /** A course with cover, market, one chapter and one section bound to a playable video. */
    const completeCourse = async (name = 'Python 入门') => {
      const { courses, plans } = services();
      const course = await courses.create(author, caller, {
        name,
        audience: '零基础',
        mt: '1-3',
        st: '1-3-2',
        grade: CourseGrade.BEGINNER,
        teachingMode: TeachingMode.RECORDED,
        charge: Charge.PAID,
        price: '99',
        coverMediaId: IMAGE_ID,
      });
      const chapter = await plans.save(author, { courseId: course.id, name: '第一章' });
      const section = await plans.save(author, {
        courseId: course.id,
        parentId: chapter.id,
        name: '第一节',
        preview: true,
      });
      await plans.bind(author, caller, { teachplanId: section.id, mediaId: VIDEO_ID });
      return { id: course.id, chapter: chapter.id, section: section.id };
    };

    const approved = async (name?: string) => {
      const course = await completeCourse(name);
      await services().audits.submit(author, 'req', course.id);
      await services().audits.audit(auditor, {
        courseId: course.id,
        decision: AuditDecision.APPROVE,
        opinion: '内容完整',
      });
      return course;
    };

    const messagesOf = (courseId: string) =>
      db.orm.em.fork().find(OutboxMessage, { businessKey1: courseId }, { orderBy: { id: 'asc' } });

    test('submitting names every missing piece at once and changes nothing', async () => {
      const { courses, plans } = services();
      const course = await courses.create(author, caller, {
        name: 'Half done',
        audience: 'anyone',
        mt: '1-3',
        st: '1-3-2',
        grade: CourseGrade.BEGINNER,
        teachingMode: TeachingMode.RECORDED,
        charge: Charge.FREE,
      });
      await plans.save(author, { courseId: course.id, name: 'An empty chapter' });
      await assert.rejects(services().audits.submit(author, 'req', course.id), incomplete('coverMediaId', 'teachplan'));

      const complete = await completeCourse();
      const chapter = await plans.save(author, { courseId: complete.id, name: '第二章' });
      const pending = await plans.save(author, { courseId: complete.id, parentId: chapter.id, name: '转码中的一节' });
      await plans.bind(author, caller, { teachplanId: pending.id, mediaId: TRANSCODING_ID });
      await assert.rejects(services().audits.submit(author, 'req', complete.id), (error: unknown) => {
        incomplete(`teachplan.${pending.id}.media`)(error);
        assert.match((error as AppError).message, /"lesson-2\.avi" is not yet playable \(transcoding processing\)/);
        return true;
      });
      media = new FakeMediaDirectory().add({
        id: VIDEO_ID,
        type: 'VIDEO',
        organisationId: 'org-1',
        fileName: 'lesson-1.mp4',
      });
      await assert.rejects(
        services().audits.submit(author, 'req', complete.id),
        incomplete('coverMediaId', `teachplan.${pending.id}.media`),
      );
      assert.equal((await services().courses.get(author, complete.id)).auditStatus, AuditStatus.NOT_SUBMITTED);
      assert.equal((await services().audits.snapshots([complete.id])).size, 0);
    });

    test('a submission freezes the course; later edits change the draft, not the snapshot; a second submission waits', async () => {
      const course = await completeCourse('冻结的课程');
      const submitted = await services().audits.submit(author, 'req', course.id);
      assert.equal(submitted.auditStatus, AuditStatus.SUBMITTED);
      assert.equal(submitted.submittedBy, author.userId);
      assert.equal(submitted.content.mtName, '编程开发');
      assert.deepEqual(
        submitted.content.teachplan.map((chapter) => [
          chapter.name,
          chapter.children.map((section) => [section.name, section.mediaId, section.preview]),
        ]),
        [['第一章', [['第一节', VIDEO_ID, true]]]],
      );
      assert.equal((await services().courses.get(author, course.id)).auditStatus, AuditStatus.SUBMITTED);

      await services().courses.update(author, caller, course.id, { name: '改过的草稿' });
      assert.equal((await services().audits.snapshots([course.id])).get(course.id)!.content.name, '冻结的课程');
      await assert.rejects(
        services().audits.submit(author, 'req', course.id),
        appError('CONFLICT', /already submitted/),
      );
      await assert.rejects(services().audits.submit(stranger, 'req', course.id), appError('NOT_FOUND'));
      await assert.rejects(services().audits.submit(auditor, 'req', course.id), appError('FORBIDDEN'));
    });

    test('two submissions racing: exactly one is recorded, the other is told it is already submitted', async () => {
      const course = await completeCourse();
      const results = await Promise.allSettled([
        services().audits.submit(author, 'a', course.id),
        services().audits.submit(author, 'b', course.id),
      ]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1, JSON.stringify(results));
      const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      appError('CONFLICT')(refused.reason);
    });

    test('auditors approve or reject the submitted snapshot; every decision is kept, newest first', async () => {
      const course = await completeCourse();
      await services().audits.submit(author, 'req', course.id);
      const queue = await services().audits.queue(auditor, { offset: 0, limit: 100, page: 1, size: 100 });
      assert.ok(queue.items.some((item) => item.courseId === course.id));
      await assert.rejects(
        services().audits.queue(author, { offset: 0, limit: 10, page: 1, size: 10 }),
        appError('FORBIDDEN'),
      );
      await assert.rejects(
        services().audits.audit(author, { courseId: course.id, decision: AuditDecision.APPROVE }),
        appError('FORBIDDEN'),
      );
      await assert.rejects(
        services().audits.audit(auditor, { courseId: course.id, decision: AuditDecision.REJECT, opinion: '  ' }),
        appError('BAD_USER_INPUT', /opinion/),
      );
      await assert.rejects(
        services().audits.audit(auditor, {
          courseId: course.id,
          decision: AuditDecision.REJECT,
          opinion: '长'.repeat(501),
        }),
        appError('BAD_USER_INPUT', /500/),
      );

      const rejected = await services().audits.audit(auditor, {
        courseId: course.id,
        decision: AuditDecision.REJECT,
        opinion: '封面不清晰',
      });
      assert.equal(rejected.decision, AuditDecision.REJECT);
      assert.equal((await services().courses.get(author, course.id)).auditStatus, AuditStatus.REJECTED);
      assert.equal(
        (await services().audits.snapshots([course.id, '424242'])).get(course.id)!.auditStatus,
        AuditStatus.REJECTED,
      );
      await assert.rejects(
        services().audits.audit(auditor, { courseId: course.id, decision: AuditDecision.APPROVE }),
        appError('CONFLICT', /no submission waiting/),
      );
      await assert.rejects(
        services().publisher.publish(author, course.id),
        appError('CONFLICT', /only an approved snapshot/),
      );

      await services().audits.submit(author, 'req', course.id);
      await services().audits.audit(admin, { courseId: course.id, decision: AuditDecision.APPROVE });
      const history = (await services().audits.history([course.id])).get(course.id)!;
      assert.deepEqual(
        history.map((record) => [record.decision, record.opinion, record.auditorId]),
        [
          [AuditDecision.APPROVE, '审核通过', admin.userId],
          [AuditDecision.REJECT, '封面不清晰', auditor.userId],
        ],
      );
      assert.equal((await services().courses.get(author, course.id)).auditStatus, AuditStatus.APPROVED);
    });

    test('publish, offline and online each write the next version, the course status and one outbox message, then wake the workers', async () => {
      const course = await approved('发布的课程');
      await services().courses.update(author, caller, course.id, { name: '发布后改的草稿' });
      const published = await services().publisher.publish(author, course.id);
      assert.deepEqual(
        [published.version, published.status, published.content.name],
        [1, PublishStatus.PUBLISHED, '发布的课程'],
      );
      assert.equal((await services().courses.get(author, course.id)).publishStatus, PublishStatus.PUBLISHED);

      await assert.rejects(
        services().publisher.bringOnline(author, course.id),
        appError('CONFLICT', /must be offline/),
      );
      await assert.rejects(services().publisher.takeOffline(stranger, course.id), appError('NOT_FOUND'));
      await assert.rejects(services().publisher.takeOffline(auditor, course.id), appError('FORBIDDEN'));
      const offline = await services().publisher.takeOffline(admin, course.id);
      assert.deepEqual([offline.version, offline.status], [2, PublishStatus.OFFLINE]);
      assert.equal((await services().courses.get(author, course.id)).publishStatus, PublishStatus.OFFLINE);
      await assert.rejects(
        services().publisher.takeOffline(author, course.id),
        appError('CONFLICT', /must be published/),
      );
      await assert.rejects(services().publisher.bringOnline(admin, course.id), appError('FORBIDDEN'));
      const online = await services().publisher.bringOnline(author, course.id);
      assert.deepEqual(
        [online.version, online.status, online.content.name],
        [3, PublishStatus.PUBLISHED, '发布的课程'],
      );

      assert.deepEqual(
        (await messagesOf(course.id)).map((message) => [
          message.messageType,
          message.businessKey2,
          message.businessKey3,
          message.state,
        ]),
        [
          ['course_publish', '1', PublishAction.PUBLISH, 'PENDING'],
          ['course_publish', '2', PublishAction.OFFLINE, 'PENDING'],
          ['course_publish', '3', PublishAction.ONLINE, 'PENDING'],
        ],
      );
      assert.deepEqual(wakeups, ['course-publish', 'course-publish', 'course-publish']);

      // A new approval republishes the new snapshot as the next version.
      await services().audits.submit(author, 'req', course.id);
      await services().audits.audit(auditor, { courseId: course.id, decision: AuditDecision.APPROVE });
      const republished = await services().publisher.publish(author, course.id);
      assert.deepEqual([republished.version, republished.content.name], [4, '发布后改的草稿']);
    });

    test('when the outbox message cannot be written, neither the published record nor the course changes', async () => {
      const course = await approved();
      const em = db.orm.em.fork();
      await sqlRows(em, 'alter table mq_message rename to mq_message_away');
      try {
        await assert.rejects(services().publisher.publish(author, course.id));
      } finally {
        await sqlRows(em, 'alter table mq_message_away rename to mq_message');
      }
      assert.equal(await services().publishing.published(course.id), null);
      assert.equal((await services().courses.get(author, course.id)).publishStatus, PublishStatus.UNPUBLISHED);
      assert.deepEqual(wakeups, []);
      assert.equal((await services().publisher.publish(author, course.id)).version, 1);
    });

    test('page writes happen in version order and only forward', async () => {
      const course = await approved();
      await services().publisher.publish(author, course.id);
      const puts: number[] = [];
      const repository = () => new CoursePublishingRepository(db.orm.em.fork());
      assert.equal(await repository().writePage(course.id, 1, async () => void puts.push(1)), 'written');
      assert.equal(await repository().writePage(course.id, 1, async () => void puts.push(1)), 'current');
      await services().publisher.takeOffline(author, course.id);
      assert.equal(
        await repository().writePage(course.id, 1, async () => void puts.push(1)),
        'moved',
        'a page rendered for an older version is not put',
      );
      assert.equal(await repository().writePage(course.id, 2, async () => void puts.push(2)), 'written');
      assert.deepEqual(puts, [1, 2]);
      assert.equal(
        await repository().writePage('987654321', 1, async () => assert.fail('nothing is published')),
        'current',
      );
    });
  });
}
