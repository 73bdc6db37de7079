import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ContentContext } from './content-context';
import { CourseCategoryType } from './course-category.type';
import { mediaReference, MediaReference } from './media.reference';

@Resolver(() => CourseCategoryType)
export class CourseCategoryResolver {
  @Query(() => [CourseCategoryType], { description: 'The category tree: majors with their minors, in order.' })
  courseCategories(@Ctx() ctx: ContentContext): Promise<CourseCategoryType[]> {
    return ctx.categories.tree();
  }

  @Mutation(() => CourseCategoryType, { description: 'Admins: set or clear (omit mediaId) a category icon image.' })
  setCourseCategoryIcon(
    @Arg('id', () => ID) id: string,
    @Arg('mediaId', () => ID, { nullable: true }) mediaId: string | undefined,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseCategoryType> {
    return ctx.categories.setIcon(ctx.viewer, ctx, id, mediaId ?? undefined);
  }

  @FieldResolver(() => MediaReference, {
    nullable: true,
    description: 'Null for an icon set before its owner was recorded: set it again.',
  })
  icon(@Root() category: CourseCategoryType): MediaReference | null {
    return mediaReference(category.iconMediaId, category.iconOrganisationId);
  }
}
