import { BigIntType, Entity, Enum, Property } from '@mikro-orm/core';
import { LeasedTask } from '@learnhub/platform/tasks/leased-task.entity';
import type { TaskTableDefinition } from '@learnhub/platform/tasks/task-table';

/** Where one stage of a message stands. SKIPPED: nothing to do here (no cache is configured). */
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

/** The stages of a course_publish message (run in this order: page, search, cache). */
export type PublishStageName = 'page' | 'search' | 'cache';

/** The message's column holding a stage's state. */
export const stageColumn = (stage: PublishStageName) => `stage_${stage}`;

/** What the publish processor reads of a course_publish message: the change it carries, and where each stage stands. */
export interface CoursePublishPayload {
  courseId: string;
  /** The published record's version the message carries. */
  version?: number;
  action?: PublishAction;
  stages: Record<PublishStageName, StageState>;
}

const stageOf = (row: Record<string, unknown>, stage: PublishStageName) => row[stageColumn(stage)] as StageState;

/** Where the jobs engine finds outbox messages; finished ones move to the history table. */
export const outboxMessages: TaskTableDefinition<CoursePublishPayload> = {
  queue: 'course-publish',
  table: 'mq_message',
  historyTable: 'mq_message_history',
  payloadColumns: ['message_type', 'business_key1', 'business_key2', 'business_key3', 'stage_page', 'stage_search', 'stage_cache', 'last_result'],
  label: 'Outbox message',
  payloadOf: (row) => ({
    courseId: String(row.business_key1),
    version: row.business_key2 === null || row.business_key2 === undefined ? undefined : Number(row.business_key2),
    action: row.business_key3 === null || row.business_key3 === undefined ? undefined : (String(row.business_key3) as PublishAction),
    stages: { page: stageOf(row, 'page'), search: stageOf(row, 'search'), cache: stageOf(row, 'cache') },
  }),
};

/**
 * A message of the transactional outbox (mq_message), written in the transaction that changed
 * the published record. For course_publish: key 1 is the course id, key 2 the published record's
 * version, key 3 the action. Each stage's state is recorded as it finishes, so a retry skips it.
 */
@Entity({ tableName: 'mq_message' })
export class OutboxMessage extends LeasedTask<'stagePage' | 'stageSearch' | 'stageCache'> {
  @Property({ type: 'integer', fieldName: 'max_attempts' })
  maxAttempts: number = 10;

  @Property({ type: 'string', length: 32, fieldName: 'message_type' })
  messageType!: string;

  @Property({ type: 'string', length: 64, fieldName: 'business_key1' })
  businessKey1!: string;

  @Property({ type: 'string', length: 64, fieldName: 'business_key2', nullable: true })
  businessKey2?: string | null;

  @Property({ type: 'string', length: 64, fieldName: 'business_key3', nullable: true })
  businessKey3?: string | null;

  @Enum({ items: () => StageState, fieldName: 'stage_page' })
  stagePage: StageState = StageState.PENDING;

  @Enum({ items: () => StageState, fieldName: 'stage_search' })
  stageSearch: StageState = StageState.PENDING;

  @Enum({ items: () => StageState, fieldName: 'stage_cache' })
  stageCache: StageState = StageState.PENDING;

  @Property({ type: 'string', length: 500, fieldName: 'last_result', nullable: true })
  lastResult?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'last_success_ms', nullable: true })
  lastSuccessMs?: number | null;

  @Property({ type: new BigIntType('number'), fieldName: 'last_failure_ms', nullable: true })
  lastFailureMs?: number | null;
}
