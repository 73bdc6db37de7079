import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { PublishedCourseRecord } from '../publishing/published-course-record';
import type { ContentContext } from './content-context';
import { snapshotType } from './course-snapshot.resolver';
import { PublishedCourseType } from './publishing.types';

const publishedType = (record: PublishedCourseRecord): Omit<PublishedCourseType, 'pageUrl'> => ({
  ...record,
  content: snapshotType(record.content),
});

@Resolver(() => PublishedCourseType)
export class CoursePublishResolver {
  @Mutation(() => PublishedCourseType, {
    description: 'Publishes the approved snapshot; page, search and cache follow within moments.',
  })
  async publishCourse(
    @Arg('courseId', () => ID) courseId: string,
    @Ctx() ctx: ContentContext,
  ): Promise<Omit<PublishedCourseType, 'pageUrl'>> {
    return publishedType(await ctx.publisher.publish(ctx.viewer, courseId));
  }

  @Mutation(() => PublishedCourseType, {
    description: 'Takes a published course offline: out of search and the cache, its page replaced by a notice.',
  })
  async takeCourseOffline(
    @Arg('courseId', () => ID) courseId: string,
    @Ctx() ctx: ContentContext,
  ): Promise<Omit<PublishedCourseType, 'pageUrl'>> {
    return publishedType(await ctx.publisher.takeOffline(ctx.viewer, courseId));
  }

  @Mutation(() => PublishedCourseType, {
    description: 'Puts an offline course back online with its last published snapshot, without a new audit.',
  })
  async bringCourseOnline(
    @Arg('courseId', () => ID) courseId: string,
    @Ctx() ctx: ContentContext,
  ): Promise<Omit<PublishedCourseType, 'pageUrl'>> {
    return publishedType(await ctx.publisher.bringOnline(ctx.viewer, courseId));
  }

  @Query(() => PublishedCourseType, {
    nullable: true,
    description:
      "Public: a published course (cache first); null when it is not published or offline. Sections that are not preview are locked (no media) unless you belong to the course's organisation, audit, administer, or your token lists the course.",
  })
  async publishedCourse(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: ContentContext,
  ): Promise<Omit<PublishedCourseType, 'pageUrl'> | null> {
    const record = await ctx.published.getFor(ctx.viewer, id);
    return record ? publishedType(record) : null;
  }

  @FieldResolver(() => String)
  pageUrl(@Root() course: PublishedCourseType, @Ctx() ctx: ContentContext): Promise<string> {
    return ctx.coursePageUrl(course.id);
  }
}
