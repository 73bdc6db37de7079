import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { ContentContext } from './content-context';
import { CourseTeacherType, SaveCourseTeacherInput } from './course-teacher.type';
import { CourseType } from './course.type';
import { mediaReference, MediaReference } from './media.reference';

@Resolver(() => CourseTeacherType)
export class CourseTeacherResolver {
  @Mutation(() => CourseTeacherType, { description: 'Adds a teacher to a course (no id) or edits one.' })
  saveCourseTeacher(
    @Arg('input', () => SaveCourseTeacherInput) input: SaveCourseTeacherInput,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseTeacherType> {
    return ctx.teachers.save(ctx.viewer, ctx, input);
  }

  @Mutation(() => Boolean)
  deleteCourseTeacher(@Arg('id', () => ID) id: string, @Ctx() ctx: ContentContext): Promise<boolean> {
    return ctx.teachers.delete(ctx.viewer, id);
  }

  @FieldResolver(() => MediaReference, { nullable: true })
  photo(@Root() teacher: CourseTeacherType): MediaReference | null {
    return mediaReference(teacher.photoMediaId, teacher.organisationId);
  }
}

@Resolver(() => CourseType)
export class CourseTeachersField {
  @FieldResolver(() => [CourseTeacherType], { description: 'The teachers, in the order they were added.' })
  async teachers(@Root() course: CourseType, @Ctx() ctx: ContentContext): Promise<CourseTeacherType[]> {
    // The course was authorised when it was loaded; a page of courses costs one query here.
    const teachers = await ctx.loaders.get('course-teachers', (ids) => ctx.teachers.ofCourses(ids)).load(course.id);
    return teachers ?? [];
  }
}
