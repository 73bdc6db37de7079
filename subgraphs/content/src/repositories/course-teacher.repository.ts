import { isRowId } from '@learnhub/platform/database';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { conflict } from '@learnhub/platform/errors';
import { CourseTeacher } from '../entities/course-teacher.entity';

export type TeacherFields = Pick<CourseTeacher, 'name' | 'position' | 'introduction' | 'photoMediaId'>;

const nameTaken = (name: string) =>
  conflict(`This course already has a teacher named "${name}"; teacher names are unique within a course.`, {
    fields: [{ field: 'name', message: 'already used in this course' }],
  });

/** The only place that knows how course teachers are stored. */
export class CourseTeacherRepository {
  constructor(private readonly em: EntityManager) {}

  ofCourse(courseId: string): Promise<CourseTeacher[]> {
    return this.em.find(CourseTeacher, { courseId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** Teachers of several courses in one query, for a page of courses. */
  ofCourses(courseIds: readonly string[]): Promise<CourseTeacher[]> {
    return this.em.find(
      CourseTeacher,
      { courseId: { $in: [...courseIds] } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  byId(id: string): Promise<CourseTeacher | null> {
    return isRowId(id) ? this.em.findOne(CourseTeacher, { id }) : Promise.resolve(null);
  }

  /** Inserts or updates; a name already used in the course is a CONFLICT, even when two saves race. */
  async save(teacher: CourseTeacher | { courseId: string }, fields: TeacherFields): Promise<CourseTeacher> {
    const existing = await this.em.findOne(CourseTeacher, { courseId: teacher.courseId, name: fields.name });
    if (existing && (!(teacher instanceof CourseTeacher) || existing.id !== teacher.id)) throw nameTaken(fields.name);
    const saved =
      teacher instanceof CourseTeacher
        ? Object.assign(teacher, fields)
        : this.em.create(CourseTeacher, { courseId: teacher.courseId, ...fields });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        this.em.clear();
        throw nameTaken(fields.name);
      }
      throw error;
    }
    return saved;
  }

  async delete(teacher: CourseTeacher): Promise<void> {
    await this.em.remove(teacher).flush();
  }
}
