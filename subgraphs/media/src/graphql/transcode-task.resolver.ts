import { pageRequest, PageInput, toPage } from '@learnhub/platform/graphql';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { processStateCodes } from '../entities/media-process.entity';
import type { MediaContext } from './media-context';
import { mediaByIdLoader } from './media.resolver';
import { MediaItemType } from './media.type';
import { TranscodeTaskFilter, TranscodeTaskType, TranscodeTaskPage } from './transcode-task.type';

/** Operating transcoding: admins list tasks, retry failed or cancelled ones, cancel unfinished ones. */
@Resolver(() => TranscodeTaskType)
export class TranscodeTaskResolver {
  @Query(() => TranscodeTaskPage, {
    description:
      'Transcoding tasks, for admins: unfinished, failed and cancelled ones newest first, then succeeded ones.',
  })
  async transcodeTasks(
    @Arg('filter', () => TranscodeTaskFilter, { nullable: true }) filter: TranscodeTaskFilter | undefined,
    @Arg('page', () => PageInput, { nullable: true }) page: PageInput | undefined,
    @Ctx() ctx: MediaContext,
  ): Promise<TranscodeTaskPage> {
    const request = pageRequest(page, ctx.maxPageSize);
    const { items, total } = await ctx.transcodeTasks.list(ctx.viewer, filter ?? {}, request);
    return toPage(items, total, request);
  }

  @Mutation(() => TranscodeTaskType, {
    description: 'Queues a FAILED or CANCELLED task again with its attempts counted from zero (admins).',
  })
  retryTranscodeTask(@Arg('id', () => ID) id: string, @Ctx() ctx: MediaContext): Promise<TranscodeTaskType> {
    return ctx.transcodeTasks.retry(ctx.viewer, id);
  }

  @Mutation(() => TranscodeTaskType, {
    description: 'Stops a PENDING, PROCESSING or FAILED task; a running worker gives it up (admins).',
  })
  cancelTranscodeTask(@Arg('id', () => ID) id: string, @Ctx() ctx: MediaContext): Promise<TranscodeTaskType> {
    return ctx.transcodeTasks.cancel(ctx.viewer, id);
  }

  @FieldResolver(() => Int, {
    description:
      "The original system's state number: 1 pending, 2 succeeded, 3 failed, 4 processing; 5 cancelled is new.",
  })
  stateCode(@Root() task: TranscodeTaskType): number {
    return processStateCodes[task.state];
  }

  @FieldResolver(() => MediaItemType, {
    nullable: true,
    description: 'The video it converts (its earliest library entry); null once the file is deleted.',
  })
  async media(@Root() task: TranscodeTaskType, @Ctx() ctx: MediaContext): Promise<MediaItemType | null> {
    return (await mediaByIdLoader(ctx).load(task.fileMd5)) ?? null;
  }
}
