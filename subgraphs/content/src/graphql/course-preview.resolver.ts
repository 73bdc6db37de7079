import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { ContentContext } from './content-context';
import { CoursePreviewType } from './publishing.types';

@Resolver(() => CoursePreviewType)
export class CoursePreviewResolver {
  @Query(() => CoursePreviewType, {
    description: 'The draft assembled and rendered as its course page (its organisation, auditors and admins).',
  })
  coursePreview(@Arg('id', () => ID) id: string, @Ctx() ctx: ContentContext): Promise<CoursePreviewType> {
    return ctx.previews.preview(ctx.viewer, ctx.requestId, id);
  }
}
