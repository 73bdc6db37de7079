import { BigIntType, Entity, Property } from '@mikro-orm/core';
import { LeasedTask } from '@learnhub/platform/tasks';
import type { TaskTableDefinition } from '@learnhub/platform/tasks';
import { OutboxStagesType, readOutboxStages, type OutboxStageRecord } from './outbox-stages.type';

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

/** What the publish processor reads of a course_publish message: the change it carries, and where its stages stand. */
export interface CoursePublishPayload {
  courseId: string;
  /** The published record's version the message carries. */
  version?: number;
  action?: PublishAction;
  /** As the processor last recorded them, in its order. */
  stages: OutboxStageRecord[];
}

/** Where the jobs engine finds outbox messages; finished ones move to the history table. */
export const outboxMessages: TaskTableDefinition<CoursePublishPayload> = {
  queue: 'course-publish',
  table: 'mq_message',
  historyTable: 'mq_message_history',
  payloadColumns: ['message_type', 'business_key1', 'business_key2', 'business_key3', 'stages', 'last_result'],
  label: 'Outbox message',
  payloadOf: (row) => ({
    courseId: String(row.business_key1),
    version: row.business_key2 === null || row.business_key2 === undefined ? undefined : Number(row.business_key2),
    action:
      row.business_key3 === null || row.business_key3 === undefined
        ? undefined
        : (String(row.business_key3) as PublishAction),
    stages: readOutboxStages(row.stages),
  }),
};

/**
 * A message of the transactional outbox (mq_message), written in the transaction that changed
 * the published record. For course_publish: key 1 is the course id, key 2 the published record's
 * version, key 3 the action. Each stage is recorded in `stages` as it finishes, so a retry skips it.
 */
@Entity({ tableName: 'mq_message' })
export class OutboxMessage extends LeasedTask<'stages'> {
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

  /** The processor's stages in its order, each as it last recorded it; empty until it recorded one. */
  @Property({ type: OutboxStagesType, nullable: true })
  stages: OutboxStageRecord[] = [];

  @Property({ type: 'string', length: 500, fieldName: 'last_result', nullable: true })
  lastResult?: string | null;

  @Property({ type: new BigIntType('number'), fieldName: 'last_success_ms', nullable: true })
  lastSuccessMs?: number | null;

  @Property({ type: new BigIntType('number'), fieldName: 'last_failure_ms', nullable: true })
  lastFailureMs?: number | null;
}
