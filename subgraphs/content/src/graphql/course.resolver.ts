import { isAppError, ErrorCode } from '@learnhub/platform/errors';
import { pageRequest, PageInput, toPage } from '@learnhub/platform/graphql';
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { dictionaryCodes } from '../entities/course-dictionary';
import type { ContentContext } from './content-context';
import { CourseFilter, CoursePage, CreateCourseInput, UpdateCourseInput } from './course.inputs';
import { CourseMarketType, CourseType } from './course.type';
import { mediaReference, MediaReference } from './media.reference';

/** Category names for every course in a response, from one read per request. */
const categoryName = (ctx: ContentContext, id: string) =>
  ctx.loaders.get('course-category-names', (ids) => ctx.courses.categoryNames(ids)).load(id);

@Resolver(() => CourseType)
export class CourseResolver {
  @Query(() => CoursePage, {
    description:
      "The viewer's organisation's courses (auditors and admins: every organisation's), most recently changed first.",
  })
  async courses(
    @Arg('filter', () => CourseFilter, { nullable: true }) filter: CourseFilter | undefined,
    @Arg('page', () => PageInput, { nullable: true }) page: PageInput | undefined,
    @Ctx() ctx: ContentContext,
  ): Promise<CoursePage> {
    const request = pageRequest(page, ctx.maxPageSize);
    const { items, total } = await ctx.courses.list(ctx.viewer, filter ?? {}, request);
    return toPage(items, total, request);
  }

  @Query(() => CourseType, {
    nullable: true,
    description: 'A course by id; null when it does not exist or is not visible to you.',
  })
  async course(@Arg('id', () => ID) id: string, @Ctx() ctx: ContentContext): Promise<CourseType | null> {
    try {
      return await ctx.courses.get(ctx.viewer, id);
    } catch (error) {
      if (isAppError(error) && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }

  @Mutation(() => CourseType, {
    description: "Creates a course for the viewer's organisation: not submitted, unpublished.",
  })
  createCourse(
    @Arg('input', () => CreateCourseInput) input: CreateCourseInput,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseType> {
    return ctx.courses.create(ctx.viewer, ctx, input);
  }

  @Mutation(() => CourseType, { description: 'Changes the given fields of a course; allowed in every audit state.' })
  updateCourse(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateCourseInput) input: UpdateCourseInput,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseType> {
    return ctx.courses.update(ctx.viewer, ctx, id, input);
  }

  @Mutation(() => Boolean, {
    description: 'Deletes a course never submitted for audit, with its marketing, plan, bindings and teachers.',
  })
  deleteCourse(@Arg('id', () => ID) id: string, @Ctx() ctx: ContentContext): Promise<boolean> {
    return ctx.courses.delete(ctx.viewer, id);
  }

  @FieldResolver(() => MediaReference, { nullable: true, description: 'The cover picture.' })
  cover(@Root() course: CourseType): MediaReference | null {
    return mediaReference(course.coverMediaId, course.organisationId);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The major category name.' })
  async mtName(@Root() course: CourseType, @Ctx() ctx: ContentContext): Promise<string | null> {
    return (await categoryName(ctx, course.mt)) ?? null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The minor category name.' })
  async stName(@Root() course: CourseType, @Ctx() ctx: ContentContext): Promise<string | null> {
    return (await categoryName(ctx, course.st)) ?? null;
  }

  @FieldResolver(() => String, { description: "The original system's grade code, e.g. 204001." })
  gradeCode(@Root() course: CourseType): string {
    return dictionaryCodes.grade[course.grade];
  }

  @FieldResolver(() => String, { description: "The original system's teaching mode code, e.g. 200002." })
  teachingModeCode(@Root() course: CourseType): string {
    return dictionaryCodes.teachingMode[course.teachingMode];
  }

  @FieldResolver(() => String, { description: "The original system's audit status code, e.g. 202002." })
  auditStatusCode(@Root() course: CourseType): string {
    return dictionaryCodes.auditStatus[course.auditStatus];
  }

  @FieldResolver(() => String, { description: "The original system's publish status code, e.g. 203001." })
  publishStatusCode(@Root() course: CourseType): string {
    return dictionaryCodes.publishStatus[course.publishStatus];
  }
}

@Resolver(() => CourseMarketType)
export class CourseMarketResolver {
  @FieldResolver(() => String, { description: "The original system's charge code, e.g. 201001 for paid." })
  chargeCode(@Root() market: CourseMarketType): string {
    return dictionaryCodes.charge[market.charge];
  }
}

/** `_entities` for Course: every reference in one call is loaded with one query; courses the viewer may not read resolve to null. */
export const courseReferenceResolver = {
  Course: {
    async __resolveReference(reference: { id: string }, ctx: ContentContext) {
      return (
        (await ctx.loaders.get('courses', (ids) => ctx.courses.references(ctx.viewer, ids)).load(reference.id)) ?? null
      );
    },
  },
};
