import type { EntityManager } from '@mikro-orm/core';
import type { Course } from '../entities/course.entity';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { CourseRepository } from '../repositories/course.repository';
import { CourseTeacherRepository } from '../repositories/course-teacher.repository';
import { TeachplanRepository } from '../repositories/teachplan.repository';
import type { CourseSnapshot, SnapshotTeachplanNode } from '../publishing/course-snapshot';
import { teacherView } from './course-teacher.service';
import { courseView } from './course.service';
import { buildPlan, type TeachplanNode } from './teachplan-tree';

const frozen = (node: TeachplanNode): SnapshotTeachplanNode => ({
  id: node.id,
  parentId: node.parentId,
  grade: node.grade,
  name: node.name,
  order: node.order,
  description: node.description,
  preview: node.preview,
  startTime: node.startTime?.toISOString(),
  endTime: node.endTime?.toISOString(),
  durationSeconds: node.durationSeconds,
  mediaId: node.mediaId,
  mediaFileName: node.mediaFileName,
  children: node.children.map(frozen),
});

/**
 * The whole course as it stands in `em` (inside the caller's transaction, so the parts agree):
 * base, marketing, category names, plan with bindings, teachers.
 */
export async function assembleCourse(em: EntityManager, course: Course): Promise<CourseSnapshot> {
  const plans = new TeachplanRepository(em, new CourseRepository(em));
  // One after another: inside a transaction they share one connection.
  const nodes = await plans.ofCourse(course.id);
  const bindings = await plans.bindingsOfCourse(course.id);
  const teachers = await new CourseTeacherRepository(em).ofCourse(course.id);
  const categories = await new CourseCategoryRepository(em).all();
  const nameOf = (id: string) => categories.find((category) => category.id === id)?.name ?? id;
  const {
    auditStatus: _audit,
    publishStatus: _publish,
    createdAt: _created,
    changedAt: _changed,
    createdBy: _by,
    changedBy: _changedBy,
    ...base
  } = courseView(course);
  return {
    ...base,
    mtName: nameOf(base.mt),
    stName: nameOf(base.st),
    teachplan: buildPlan(nodes, bindings, course.organisationId).map(frozen),
    teachers: teachers
      .map((teacher) => teacherView(teacher, course.organisationId))
      .map(({ courseId: _course, organisationId: _organisation, createdAt, ...teacher }) => ({
        ...teacher,
        createdAt: createdAt.toISOString(),
      })),
    takenAt: new Date().toISOString(),
  };
}
