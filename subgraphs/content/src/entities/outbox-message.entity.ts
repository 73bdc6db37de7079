import { BigIntType, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { TaskTableDefinition } from '@learnhub/platform/tasks/task-table';
import { OutboxStagesType, type OutboxStageRecord } from './outbox-stages.type';

/** The outbox's message states; SUCCEEDED messages live in the history table. */
export enum MessageState {
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  SUCCEEDED = 'SUCCEEDED',
}

/** Where one stage of a message stands. SKIPPED: nothing to do here (no cache is configured). A stage the message has no record of is PENDING. */
export enum StageState {
  PENDING = 'PENDING',
  DONE = 'DONE',
  SKIPPED = 'SKIPPED',
}

/** What a course_publish message asks for: the published record changed by this action. */
export enum PublishAction {
  PUBLISH = 'PUBLISH',
  OFFLINE = 'OFFLINE',
  ONLINE = 'ONLINE',
}

export const COURSE_PUBLISH_MESSAGE = 'course_publish';

/** Where the jobs engine finds outbox messages; finished ones move to the history table. */
export const outboxMessages: TaskTableDefinition = {
  queue: 'course-publish',
  table: 'mq_message',
  historyTable: 'mq_message_history',
  payloadColumns: ['message_type', 'business_key1', 'business_key2', 'business_key3', 'stages', 'last_result'],
  label: 'Outbox message',
};

/**
 * A message of the transactional outbox (mq_message), written in the transaction that changed
 * the published record. For course_publish: key 1 is the course id, key 2 the published record's
 * version, key 3 the action. Each stage is recorded in `stages` as it finishes, so a retry skips it.
 */
@Entity({ tableName: 'mq_message' })
export class OutboxMessage {
  [OptionalProps]?: 'state' | 'attempts' | 'maxAttempts' | 'runAtMs' | 'stages' | 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 32, fieldName: 'message_type' })
  messageType!: string;

  @Property({ type: 'string', length: 64, fieldName: 'business_key1' })
  businessKey1!: string;

  @Property({ type: 'string', length: 64, fieldName: 'business_key2', nullable: true })
  businessKey2?: string | null;

  @Property({ type: 'string', length: 64, fieldName: 'business_key3', nullable: true })
  businessKey3?: string | null;

  @Enum({ items: () => MessageState })
  state: MessageState = MessageState.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer', fieldName: 'max_attempts' })
  maxAttempts: number = 10;

  @Property({ type: new BigIntType('number'), fieldName: 'run_at_ms', nullable: true })
  runAtMs?: number | null = 0;

  @Property({ type: 'string', length: 64, fieldName: 'lease_owner', nullable: true })
  leaseOwner?: string | null;

  @Property({ type: 'string', length: 64, fieldName: 'lease_token', nullable: true })
  leaseToken?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'lease_until_ms', nullable: true })
  leaseUntilMs?: number | null;

  @Property({ type: 'integer', nullable: true })
  progress?: number | null;

  /** The processor's stages in its order, each as it last recorded it; empty until it recorded one. */
  @Property({ type: OutboxStagesType, nullable: true })
  stages: OutboxStageRecord[] = [];

  @Property({ type: 'string', length: 500, fieldName: 'last_result', nullable: true })
  lastResult?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'last_success_ms', nullable: true })
  lastSuccessMs?: number | null;

  @Property({ type: 'string', length: 2000, fieldName: 'last_error', nullable: true })
  lastError?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'last_failure_ms', nullable: true })
  lastFailureMs?: number | null;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();
}
