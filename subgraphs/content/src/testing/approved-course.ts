import type { MikroORM } from '@mikro-orm/core';
import type { Viewer } from '@learnhub/platform/auth';
import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import type { Caller, MediaDirectory } from '@learnhub/media/client';
import { AuditDecision } from '../entities/course-audit.entity';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { CourseTeacherRepository } from '../repositories/course-teacher.repository';
import { CourseRepository } from '../repositories/course.repository';
import { TeachplanRepository } from '../repositories/teachplan.repository';
import { CourseAuditService } from '../services/course-audit.service';
import { CourseTeacherService } from '../services/course-teacher.service';
import { CourseService } from '../services/course.service';
import { TeachplanService } from '../services/teachplan.service';

/** The organisation, member and auditor behind the approved courses of publishing tests. */
export const PUBLISHING_ORG = 'org-publishing';
export const author: Viewer = { userId: 'u-publisher', roles: ['member'], organisationId: PUBLISHING_ORG };
export const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };

/** The media a course links to: a cover picture and a document bound to its one section. */
export interface CourseMediaIds {
  coverId: string;
  documentId: string;
  /** When given, a second, paid (not preview) section is bound to this document. */
  paidDocumentId?: string;
  /** When given, the course gets a teacher with this photo. */
  teacherPhotoId?: string;
}

/**
 * Creates a complete course (cover, one chapter with one preview section bound to a document,
 * optionally a paid section and a teacher with a photo, paid marketing), submits it for audit and approves it. Each step runs on its own EntityManager,
 * as each request would. Returns the course's id.
 */
export async function approvedCourse(
  orm: MikroORM,
  media: MediaDirectory,
  ids: CourseMediaIds,
  name: string,
  caller: Caller = { requestId: 'fixture' },
): Promise<string> {
  const courses = () => {
    const em = orm.em.fork();
    return { em, repository: new CourseRepository(em) };
  };
  const c = courses();
  const course = await new CourseService(c.repository, new CourseCategoryRepository(c.em), media).create(
    author,
    caller,
    {
      name,
      audience: '想系统学习的开发者',
      tags: 'Java, 微服务',
      mt: '1-3',
      st: '1-3-2',
      grade: CourseGrade.INTERMEDIATE,
      teachingMode: TeachingMode.RECORDED,
      description: `${name}：从入门到实战。`,
      coverMediaId: ids.coverId,
      charge: Charge.PAID,
      price: '199',
    },
  );
  const plans = () => {
    const em = orm.em.fork();
    const repository = new CourseRepository(em);
    return new TeachplanService(repository, new TeachplanRepository(em, repository), media);
  };
  const chapter = await plans().save(author, { courseId: course.id, name: '第1章 入门' });
  const section = await plans().save(author, {
    courseId: course.id,
    parentId: chapter.id,
    name: '1.1 环境搭建',
    preview: true,
  });
  await plans().bind(author, caller, { teachplanId: section.id, mediaId: ids.documentId });
  if (ids.paidDocumentId) {
    const paid = await plans().save(author, {
      courseId: course.id,
      parentId: chapter.id,
      name: '1.2 进阶实战',
      preview: false,
    });
    await plans().bind(author, caller, { teachplanId: paid.id, mediaId: ids.paidDocumentId });
  }
  if (ids.teacherPhotoId) {
    const em = orm.em.fork();
    await new CourseTeacherService(new CourseRepository(em), new CourseTeacherRepository(em), media).save(
      author,
      caller,
      {
        courseId: course.id,
        name: '王老师',
        photoMediaId: ids.teacherPhotoId,
      },
    );
  }
  const audits = () => {
    const em = orm.em.fork();
    return new CourseAuditService(new CourseRepository(em), new CoursePublishingRepository(em), media);
  };
  await audits().submit(author, caller.requestId, course.id);
  await audits().audit(auditor, { courseId: course.id, decision: AuditDecision.APPROVE, opinion: '通过' });
  return course.id;
}
