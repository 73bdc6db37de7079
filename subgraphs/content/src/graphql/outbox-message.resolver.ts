import { pageRequest, PageInput, toPage } from '@learnhub/platform/graphql';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { PublishAction } from '../entities/outbox-message.entity';
import type { OutboxMessageView } from '../services/outbox-message.service';
import type { ContentContext } from './content-context';
import { OutboxMessageFilter, OutboxMessagePage, OutboxMessageType } from './publishing.types';

const messageType = ({ businessKey1, businessKey2, businessKey3, ...rest }: OutboxMessageView): OutboxMessageType => ({
  ...rest,
  courseId: businessKey1,
  version: businessKey2 === undefined ? undefined : Number(businessKey2),
  action: businessKey3 as PublishAction | undefined,
});

@Resolver(() => OutboxMessageType)
export class OutboxMessageResolver {
  @Query(() => OutboxMessagePage, {
    description: 'Admins: publish outbox messages, live ones newest first, then finished ones.',
  })
  async outboxMessages(
    @Arg('filter', () => OutboxMessageFilter, { nullable: true }) filter: OutboxMessageFilter | undefined,
    @Arg('page', () => PageInput, { nullable: true }) page: PageInput | undefined,
    @Ctx() ctx: ContentContext,
  ): Promise<OutboxMessagePage> {
    const request = pageRequest(page, ctx.maxPageSize);
    const { items, total } = await ctx.outbox.list(ctx.viewer, filter ?? {}, request);
    return toPage(items.map(messageType), total, request);
  }

  @Mutation(() => OutboxMessageType, {
    description: 'Admins: queues a FAILED or CANCELLED message again; stages already done are not redone.',
  })
  async retryOutboxMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: ContentContext): Promise<OutboxMessageType> {
    return messageType(await ctx.outbox.retry(ctx.viewer, id));
  }
}
