import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { ContentContext } from './content-context';
import { CourseType } from './course.type';
import { mediaReference, MediaReference } from './media.reference';
import { BindTeachplanMediaInput, MoveDirection, SaveTeachplanInput, TeachplanType } from './teachplan.type';

@Resolver(() => TeachplanType)
export class TeachplanResolver {
  @Mutation(() => TeachplanType, { description: 'Creates (no id) or updates a chapter or section.' })
  saveTeachplan(
    @Arg('input', () => SaveTeachplanInput) input: SaveTeachplanInput,
    @Ctx() ctx: ContentContext,
  ): Promise<TeachplanType> {
    return ctx.teachplans.save(ctx.viewer, input);
  }

  @Mutation(() => Boolean, { description: 'Deletes a section (with its media binding) or an empty chapter.' })
  deleteTeachplan(@Arg('id', () => ID) id: string, @Ctx() ctx: ContentContext): Promise<boolean> {
    return ctx.teachplans.delete(ctx.viewer, id);
  }

  @Mutation(() => [TeachplanType], {
    description: "Swaps a node with its neighbour; returns the node's siblings in order.",
  })
  moveTeachplan(
    @Arg('id', () => ID) id: string,
    @Arg('direction', () => MoveDirection) direction: MoveDirection,
    @Ctx() ctx: ContentContext,
  ): Promise<TeachplanType[]> {
    return ctx.teachplans.move(ctx.viewer, id, direction);
  }

  @Mutation(() => TeachplanType, { description: 'Binds a video or document to a section, replacing any earlier one.' })
  bindTeachplanMedia(
    @Arg('input', () => BindTeachplanMediaInput) input: BindTeachplanMediaInput,
    @Ctx() ctx: ContentContext,
  ): Promise<TeachplanType> {
    return ctx.teachplans.bind(ctx.viewer, ctx, input);
  }

  @Mutation(() => TeachplanType, { description: "Removes a section's media binding." })
  unbindTeachplanMedia(
    @Arg('teachplanId', () => ID) teachplanId: string,
    @Ctx() ctx: ContentContext,
  ): Promise<TeachplanType> {
    return ctx.teachplans.unbind(ctx.viewer, teachplanId);
  }

  @FieldResolver(() => Boolean, {
    description:
      'True for a paid (not preview) section of a published course you may not watch: its media is then null. Always false outside publishedCourse.',
  })
  locked(@Root() node: TeachplanType): boolean {
    return node.locked === true;
  }

  @FieldResolver(() => MediaReference, { nullable: true })
  media(@Root() node: TeachplanType): MediaReference | null {
    return mediaReference(node.mediaId, node.organisationId);
  }
}

@Resolver(() => CourseType)
export class CourseTeachplanResolver {
  @FieldResolver(() => [TeachplanType], {
    description: 'The teaching plan: chapters in order, each with its sections in order.',
  })
  teachplan(@Root() course: CourseType, @Ctx() ctx: ContentContext): Promise<TeachplanType[]> {
    return ctx.teachplans.tree(ctx.viewer, course.id);
  }
}
