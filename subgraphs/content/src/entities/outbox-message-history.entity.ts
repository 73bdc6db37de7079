import { Entity, Property } from '@mikro-orm/core';
import { FinishedTask } from '@learnhub/platform/tasks';
import { OutboxStagesType, type OutboxStageRecord } from './outbox-stages.type';

/** An outbox message every stage of which finished, moved out of `mq_message` when it did. */
@Entity({ tableName: 'mq_message_history' })
export class OutboxMessageHistory extends FinishedTask {
  @Property({ type: 'string', length: 32, fieldName: 'message_type' })
  messageType!: string;

  @Property({ type: 'string', length: 64, fieldName: 'business_key1' })
  businessKey1!: string;

  @Property({ type: 'string', length: 64, fieldName: 'business_key2', nullable: true })
  businessKey2?: string | null;

  @Property({ type: 'string', length: 64, fieldName: 'business_key3', nullable: true })
  businessKey3?: string | null;

  @Property({ type: OutboxStagesType, nullable: true })
  stages!: OutboxStageRecord[];

  @Property({ type: 'string', length: 500, fieldName: 'last_result', nullable: true })
  lastResult?: string | null;
}
