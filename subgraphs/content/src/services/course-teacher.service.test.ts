import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { anonymous, type Viewer } from '@learnhub/platform/auth';
import { appError } from '@learnhub/platform/testing';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import { CourseTeacher } from '../entities/course-teacher.entity';
import { Course } from '../entities/course.entity';
import { contentMigrations } from '../migrations/migrations';
import { CourseTeacherRepository } from '../repositories/course-teacher.repository';
import { CourseRepository } from '../repositories/course.repository';
import { contentEntities } from '../entities/content-entities';
import { FakeMediaDirectory } from '../testing/fake-media-directory';
import { CourseTeacherService } from './course-teacher.service';

const PHOTO = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_ORG_PHOTO = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const VIDEO = 'cccccccccccccccccccccccccccccccc';
const member: Viewer = { userId: 'alice', roles: ['member'], organisationId: 'org-1' };
const otherMember: Viewer = { userId: 'bob', roles: ['member'], organisationId: 'org-2' };
const auditor: Viewer = { userId: 'carol', roles: ['auditor'] };
const caller = { authorization: 'Bearer t', requestId: 'r' };

for (const factory of testDatabases('course teachers')) {
  describe(`course teachers on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: contentEntities, migrations: contentMigrations });
    let courseId: string;
    const media = new FakeMediaDirectory()
      .add({ id: PHOTO, type: 'IMAGE', organisationId: 'org-1', fileName: 'zhang.jpg' })
      .add({ id: OTHER_ORG_PHOTO, type: 'IMAGE', organisationId: 'org-2', fileName: 'x.jpg' })
      .add({ id: VIDEO, type: 'VIDEO', organisationId: 'org-1', fileName: 'intro.mp4' });

    beforeEach(async () => {
      const em = db.orm.em.fork();
      const course = em.create(Course, {
        organisationId: 'org-1',
        name: 'Java 入门',
        audience: '初学者',
        mt: '1-3',
        st: '1-3-1',
        grade: CourseGrade.BEGINNER,
        teachingMode: TeachingMode.RECORDED,
        createdBy: 'alice',
        changedBy: 'alice',
      });
      await em.flush();
      courseId = course.id;
    });

    const service = () => {
      const em = db.orm.em.fork();
      return new CourseTeacherService(new CourseRepository(em), new CourseTeacherRepository(em), media);
    };

    test('add, edit and list teachers in the order they were added, with a photo from the library', async () => {
      const zhang = await service().save(member, caller, {
        courseId,
        name: ' 张老师 ',
        position: '高级讲师',
        photoMediaId: PHOTO,
      });
      assert.equal(zhang.name, '张老师');
      assert.equal(zhang.photoMediaId, PHOTO);
      const li = await service().save(member, caller, { courseId, name: '李老师', introduction: '十年 Java 经验' });
      const edited = await service().save(member, caller, {
        id: zhang.id,
        courseId,
        name: '张老师',
        position: '首席讲师',
        photoMediaId: null,
      });
      assert.equal(edited.position, '首席讲师');
      assert.equal(edited.photoMediaId, undefined);
      assert.deepEqual(
        (await service().list(member, courseId)).map((t) => [t.name, t.position]),
        [
          ['张老师', '首席讲师'],
          ['李老师', undefined],
        ],
      );
      assert.deepEqual(
        (await service().list(auditor, courseId)).map((t) => t.id),
        [zhang.id, li.id],
      );
      const grouped = await service().ofCourses([courseId, '999999']);
      assert.deepEqual(
        grouped.get(courseId)?.map((t) => t.id),
        [zhang.id, li.id],
      );
      assert.deepEqual(grouped.get('999999'), []);
    });

    test('names are unique within a course, also when two saves race', async () => {
      await service().save(member, caller, { courseId, name: '王老师' });
      await assert.rejects(
        service().save(member, caller, { courseId, name: '王老师' }),
        appError('CONFLICT', /already has a teacher named "王老师"/),
      );
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map(() => service().save(member, caller, { courseId, name: '赵老师' })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') appError('CONFLICT')(r.reason);
      assert.equal(await db.orm.em.fork().count(CourseTeacher, { courseId, name: '赵老师' }), 1);
    });

    test('every bad field is named; photos must be images of the same organisation', async () => {
      await assert.rejects(
        service().save(member, caller, {
          courseId,
          name: ' ',
          position: 'x'.repeat(101),
          introduction: 'y'.repeat(2001),
          photoMediaId: VIDEO,
        }),
        (error: unknown) => {
          appError('BAD_USER_INPUT')(error);
          const fields = (error as { details: { fields: { field: string }[] } }).details.fields.map((f) => f.field);
          assert.deepEqual(fields, ['name', 'position', 'introduction', 'photoMediaId']);
          return true;
        },
      );
      await assert.rejects(
        service().save(member, caller, { courseId, name: '陈老师', photoMediaId: OTHER_ORG_PHOTO }),
        appError('BAD_USER_INPUT', /photoMediaId no such media/),
      );
      await assert.rejects(
        service().save(member, caller, { courseId, name: '陈老师', photoMediaId: 'dddddddddddddddddddddddddddddddd' }),
        appError('BAD_USER_INPUT'),
      );
    });

    test('only the owning organisation changes teachers; others do not learn the course exists', async () => {
      const teacher = await service().save(member, caller, { courseId, name: '周老师' });
      await assert.rejects(service().save(otherMember, caller, { courseId, name: '吴老师' }), appError('NOT_FOUND'));
      await assert.rejects(service().list(otherMember, courseId), appError('NOT_FOUND'));
      await assert.rejects(service().delete(otherMember, teacher.id), appError('NOT_FOUND'));
      await assert.rejects(service().save(auditor, caller, { courseId, name: '吴老师' }), appError('FORBIDDEN'));
      await assert.rejects(service().list(anonymous, courseId), appError('UNAUTHENTICATED'));
      await assert.rejects(
        service().save(member, caller, { id: teacher.id, courseId: '424242', name: '周老师' }),
        appError('NOT_FOUND'),
      );
      await assert.rejects(service().delete(member, 'not-a-number'), appError('NOT_FOUND'));
      assert.equal(await service().delete(member, teacher.id), true);
      await assert.rejects(service().delete(member, teacher.id), appError('NOT_FOUND'));
    });
  });
}
