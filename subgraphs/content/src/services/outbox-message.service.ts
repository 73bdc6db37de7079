import { requireRole } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { isRowId } from '@learnhub/platform/database';
import { badInput, notFound } from '@learnhub/platform/errors';
import type { PageRequest } from '@learnhub/platform/graphql';
import { dateOfMs, taskTimes, type TaskTimes } from '@learnhub/platform/tasks';
import type { TaskWakeup } from '@learnhub/platform/tasks';
import { outboxMessages, type StageState } from '../entities/outbox-message.entity';
import type {
  OutboxMessageListFilter,
  OutboxMessageRecord,
  OutboxMessageRepository,
} from '../repositories/outbox-message.repository';

/** One stage of a message as admins see it. */
export interface OutboxStageView {
  name: string;
  state: StageState;
  result?: string;
  finishedAt?: Date;
}

/** An outbox message as admins see it: the stored record with its times as dates. */
export type OutboxMessageView = Omit<
  OutboxMessageRecord,
  'leaseUntilMs' | 'runAtMs' | 'finishedAtMs' | 'lastSuccessMs' | 'lastFailureMs' | 'stages'
> &
  TaskTimes & {
    stages: OutboxStageView[];
    lastSuccessAt?: Date;
    lastFailureAt?: Date;
  };

function viewOf(message: OutboxMessageRecord, nowMs: number): OutboxMessageView {
  const {
    runAtMs: _runAt,
    leaseUntilMs: _leaseUntil,
    finishedAtMs: _finishedAt,
    lastSuccessMs,
    lastFailureMs,
    stages,
    ...rest
  } = message;
  return {
    ...rest,
    ...taskTimes(message, nowMs),
    stages: stages.map(({ name, state, result, finishedAtMs }) => ({
      name,
      state,
      result,
      finishedAt: dateOfMs(finishedAtMs),
    })),
    lastSuccessAt: dateOfMs(lastSuccessMs),
    lastFailureAt: dateOfMs(lastFailureMs),
  };
}

function checkedId(value: string | undefined, field: string): string | undefined {
  if (value === undefined || isRowId(value)) return value;
  throw badInput(`${field} must be a positive whole number.`, {
    fields: [{ field, message: 'must be a positive whole number' }],
  });
}

/** The publish outbox for admins: what waits, runs and failed, with each stage's state; retry a message. */
export class OutboxMessageService {
  constructor(
    private readonly messages: OutboxMessageRepository,
    private readonly wakeup: Pick<TaskWakeup, 'notify'>,
  ) {}

  async list(
    viewer: Viewer,
    filter: OutboxMessageListFilter,
    page: PageRequest,
  ): Promise<{ items: OutboxMessageView[]; total: number }> {
    requireRole(viewer, 'admin');
    const courseId = checkedId(filter.courseId?.trim() || undefined, 'filter.courseId');
    const [messages, total] = await this.messages.page({ state: filter.state, courseId }, page.offset, page.limit);
    const now = Date.now();
    return { items: messages.map((message) => viewOf(message, now)), total };
  }

  /** Queues a FAILED or CANCELLED message again with a fresh set of attempts; stages already done are not redone. */
  async retry(viewer: Viewer, id: string): Promise<OutboxMessageView> {
    requireRole(viewer, 'admin');
    const messageId = checkedId(id, 'id')!;
    await this.messages.retry(messageId);
    await this.wakeup.notify(outboxMessages.queue);
    const message = await this.messages.find(messageId);
    if (!message) throw notFound(outboxMessages.label, messageId);
    return viewOf(message, Date.now());
  }
}
