import { TaskListing, type TaskRecord } from '@learnhub/platform/tasks';
import type { TaskState } from '@learnhub/platform/tasks';
import { TaskTable } from '@learnhub/platform/tasks';
import type { EntityManager } from '@mikro-orm/core';
import { outboxMessages, OutboxMessage } from '../entities/outbox-message.entity';
import { OutboxMessageHistory } from '../entities/outbox-message-history.entity';
import type { OutboxStageRecord } from '../entities/outbox-stages.type';

/** What an outbox message's record adds to its task's. Times are epoch milliseconds. */
interface OutboxMessageFields {
  messageType: string;
  businessKey1: string;
  businessKey2?: string;
  businessKey3?: string;
  /** As the processor last recorded them, in its order; empty until it recorded one. */
  stages: OutboxStageRecord[];
  lastResult?: string;
  lastSuccessMs?: number;
  lastFailureMs?: number;
}

/** An outbox message as stored, live (`mq_message`) or finished (`mq_message_history`). */
export type OutboxMessageRecord = TaskRecord & OutboxMessageFields;

export interface OutboxMessageListFilter {
  state?: TaskState;
  courseId?: string;
}

const common = (message: OutboxMessage | OutboxMessageHistory): OutboxMessageFields => ({
  messageType: message.messageType,
  businessKey1: message.businessKey1,
  businessKey2: message.businessKey2 ?? undefined,
  businessKey3: message.businessKey3 ?? undefined,
  stages: message.stages,
  lastResult: message.lastResult ?? undefined,
});

const ofLive = (message: OutboxMessage): OutboxMessageFields => ({
  ...common(message),
  lastSuccessMs: message.lastSuccessMs ?? undefined,
  lastFailureMs: message.lastFailureMs ?? undefined,
});

/** Outbox messages as admins operate them: listed across both tables, retried. */
export class OutboxMessageRepository {
  private readonly messages: TaskListing<OutboxMessage, OutboxMessageHistory, OutboxMessageFields>;

  constructor(private readonly em: EntityManager) {
    this.messages = new TaskListing<OutboxMessage, OutboxMessageHistory, OutboxMessageFields>(em, {
      live: OutboxMessage,
      finished: OutboxMessageHistory,
      ownOfLive: ofLive,
      ownOfFinished: common,
    });
  }

  /** One page of the messages matching `filter`: live ones newest first, then finished ones newest first. */
  page(filter: OutboxMessageListFilter, offset: number, limit: number): Promise<[OutboxMessageRecord[], number]> {
    const { state, courseId } = filter;
    return this.messages.page({ state, where: courseId ? { businessKey1: courseId } : {} }, offset, limit);
  }

  find(id: string): Promise<OutboxMessageRecord | undefined> {
    return this.messages.find(id);
  }

  /** Queues a failed or cancelled message again, attempts from zero; its finished stages stay finished. */
  retry(id: string): Promise<void> {
    return new TaskTable(this.em, outboxMessages).retry(id);
  }
}
