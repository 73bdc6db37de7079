import { pageLiveThenFinished } from '@learnhub/platform/tasks/live-then-finished';
import { TaskTable } from '@learnhub/platform/tasks/task-table';
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { TaskState } from '@learnhub/platform/tasks/task-state';
import { outboxMessages, OutboxMessage, StageState } from '../entities/outbox-message.entity';
import { OutboxMessageHistory } from '../entities/outbox-message-history.entity';

/** An outbox message as stored, live (`mq_message`) or finished (`mq_message_history`). Times are epoch milliseconds. */
export interface OutboxMessageRecord {
  id: string;
  messageType: string;
  businessKey1: string;
  businessKey2?: string;
  businessKey3?: string;
  state: TaskState;
  attempts: number;
  maxAttempts?: number;
  stages: { page: StageState; search: StageState; cache: StageState };
  lastResult?: string;
  lastSuccessMs?: number;
  lastError?: string;
  lastFailureMs?: number;
  leaseOwner?: string;
  leaseUntilMs?: number;
  runAtMs?: number;
  finishedBy?: string;
  finishedAtMs?: number;
  createdAt: Date;
}

export interface OutboxMessageListFilter {
  state?: TaskState;
  courseId?: string;
}

const common = (message: OutboxMessage | OutboxMessageHistory) => ({
  id: String(message.id),
  messageType: message.messageType,
  businessKey1: message.businessKey1,
  businessKey2: message.businessKey2 ?? undefined,
  businessKey3: message.businessKey3 ?? undefined,
  stages: { page: message.stagePage, search: message.stageSearch, cache: message.stageCache },
  lastResult: message.lastResult ?? undefined,
  createdAt: message.createdAt,
});

const fromLive = (message: OutboxMessage): OutboxMessageRecord => ({
  ...common(message),
  state: message.state,
  attempts: message.attempts,
  maxAttempts: message.maxAttempts,
  lastSuccessMs: message.lastSuccessMs ?? undefined,
  lastError: message.lastError ?? undefined,
  lastFailureMs: message.lastFailureMs ?? undefined,
  leaseOwner: message.leaseOwner ?? undefined,
  leaseUntilMs: message.leaseUntilMs ?? undefined,
  runAtMs: message.runAtMs ?? undefined,
});

const fromHistory = (message: OutboxMessageHistory): OutboxMessageRecord => ({
  ...common(message),
  state: TaskState.SUCCEEDED,
  attempts: message.attempts,
  finishedBy: message.finishedBy,
  finishedAtMs: message.finishedAtMs,
});

/** Outbox messages as admins operate them: listed across both tables, retried. */
export class OutboxMessageRepository {
  constructor(private readonly em: EntityManager) {}

  /** One page of the messages matching `filter`: live ones newest first, then finished ones newest first. */
  page(filter: OutboxMessageListFilter, offset: number, limit: number): Promise<[OutboxMessageRecord[], number]> {
    const { state, courseId } = filter;
    const live: FilterQuery<OutboxMessage> = {};
    if (courseId) live.businessKey1 = courseId;
    if (state) live.state = state;
    const history: FilterQuery<OutboxMessageHistory> = courseId ? { businessKey1: courseId } : {};
    return pageLiveThenFinished(
      {
        countLive: state === TaskState.SUCCEEDED ? undefined : () => this.em.count(OutboxMessage, live),
        countFinished: state === undefined || state === TaskState.SUCCEEDED ? () => this.em.count(OutboxMessageHistory, history) : undefined,
        live: async (at, size) => (await this.em.find(OutboxMessage, live, { orderBy: { id: 'desc' }, offset: at, limit: size, refresh: true })).map(fromLive),
        finished: async (at, size) => (await this.em.find(OutboxMessageHistory, history, { orderBy: { id: 'desc' }, offset: at, limit: size })).map(fromHistory),
      },
      offset,
      limit,
    );
  }

  async find(id: string): Promise<OutboxMessageRecord | undefined> {
    const live = await this.em.findOne(OutboxMessage, { id }, { refresh: true });
    if (live) return fromLive(live);
    const done = await this.em.findOne(OutboxMessageHistory, { id });
    return done ? fromHistory(done) : undefined;
  }

  /** Queues a failed or cancelled message again, attempts from zero; its finished stages stay finished. */
  retry(id: string): Promise<void> {
    return new TaskTable(this.em, outboxMessages).retry(id);
  }
}
