import type { Viewer } from '@learnhub/platform/auth';
import { badInput, notFound, type FieldProblem } from '@learnhub/platform/errors';
import type { Caller, MediaDirectory } from '@learnhub/media/client';
import type { CourseTeacher } from '../entities/course-teacher.entity';
import type { CourseTeacherRepository } from '../repositories/course-teacher.repository';
import type { CourseRepository } from '../repositories/course.repository';
import { assertCanRead, assertCanWrite } from './course-access';

export interface SaveTeacherInput {
  id?: string;
  courseId: string;
  name: string;
  position?: string | null;
  introduction?: string | null;
  photoMediaId?: string | null;
}

/** A teacher as callers see it. */
export interface TeacherView {
  id: string;
  courseId: string;
  /** The course's organisation, whose library holds the photo. */
  organisationId: string;
  name: string;
  position?: string;
  introduction?: string;
  photoMediaId?: string;
  createdAt: Date;
}

export const teacherView = (t: CourseTeacher, organisationId: string): TeacherView => ({
  id: t.id,
  courseId: t.courseId,
  organisationId,
  name: t.name,
  // Nullable columns load as null; callers see an absent value either way.
  position: t.position ?? undefined,
  introduction: t.introduction ?? undefined,
  photoMediaId: t.photoMediaId ?? undefined,
  createdAt: t.createdAt,
});

const optional = (value: string | null | undefined) => (value?.trim() ? value.trim() : undefined);

/** A course's teachers (师资): name unique within the course, optional photo from the media library. */
export class CourseTeacherService {
  constructor(
    private readonly courses: CourseRepository,
    private readonly teachers: CourseTeacherRepository,
    private readonly media: MediaDirectory,
  ) {}

  async list(viewer: Viewer, courseId: string): Promise<TeacherView[]> {
    const course = await this.courses.byId(courseId);
    assertCanRead(viewer, course, courseId);
    return (await this.teachers.ofCourse(courseId)).map((teacher) => teacherView(teacher, course.organisationId));
  }

  /** Teachers of several already-authorised courses, grouped by course, in one query. */
  async ofCourses(courseIds: readonly string[]): Promise<Map<string, TeacherView[]>> {
    const grouped = new Map<string, TeacherView[]>(courseIds.map((id) => [id, []]));
    const organisationOf = new Map(
      (await this.courses.byIds(courseIds)).map((course) => [course.id, course.organisationId]),
    );
    for (const teacher of await this.teachers.ofCourses(courseIds)) {
      const organisationId = organisationOf.get(teacher.courseId);
      if (organisationId !== undefined) grouped.get(teacher.courseId)?.push(teacherView(teacher, organisationId));
    }
    return grouped;
  }

  /** Adds a teacher (no id) or edits one; only the course's organisation may. */
  async save(viewer: Viewer, caller: Caller, input: SaveTeacherInput): Promise<TeacherView> {
    const existing = input.id === undefined ? undefined : await this.teachers.byId(input.id);
    if (input.id !== undefined && (!existing || existing.courseId !== input.courseId))
      throw notFound('Course teacher', input.id);
    const course = await this.courses.byId(input.courseId);
    assertCanWrite(viewer, course, input.courseId);

    const name = input.name?.trim() ?? '';
    const fields = {
      name,
      position: optional(input.position),
      introduction: optional(input.introduction),
      photoMediaId: optional(input.photoMediaId),
    };
    const problems: FieldProblem[] = [];
    if (name.length < 1 || name.length > 60) problems.push({ field: 'name', message: 'must be 1 to 60 characters' });
    if ((fields.position?.length ?? 0) > 100)
      problems.push({ field: 'position', message: 'must be at most 100 characters' });
    if ((fields.introduction?.length ?? 0) > 2000)
      problems.push({ field: 'introduction', message: 'must be at most 2000 characters' });
    if (fields.photoMediaId) {
      const photo = await this.media.find(fields.photoMediaId, caller);
      if (!photo || photo.organisationId !== course.organisationId)
        problems.push({ field: 'photoMediaId', message: 'no such media in your library' });
      else if (photo.type !== 'IMAGE')
        problems.push({ field: 'photoMediaId', message: `must be an image, not a ${photo.type.toLowerCase()}` });
    }
    if (problems.length) {
      throw badInput(`Invalid teacher: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
        fields: problems,
      });
    }
    return teacherView(
      await this.teachers.save(existing ?? { courseId: input.courseId }, fields),
      course.organisationId,
    );
  }

  async delete(viewer: Viewer, id: string): Promise<boolean> {
    const teacher = await this.teachers.byId(id);
    if (!teacher) throw notFound('Course teacher', id);
    assertCanWrite(viewer, await this.courses.byId(teacher.courseId), teacher.courseId);
    await this.teachers.delete(teacher);
    return true;
  }
}
