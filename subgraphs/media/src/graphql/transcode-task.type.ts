import { GraphQLDateTimeISO } from 'graphql-scalars';
import { pageOf } from '@learnhub/platform/graphql';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TaskState } from '@learnhub/platform/tasks';
import type { TranscodeTaskView } from '../services/transcode-task.service';

/** TaskState as media's clients know it: in the order of the original system's numbers. */
const TranscodeTaskState = {
  PENDING: TaskState.PENDING,
  SUCCEEDED: TaskState.SUCCEEDED,
  FAILED: TaskState.FAILED,
  PROCESSING: TaskState.PROCESSING,
  CANCELLED: TaskState.CANCELLED,
};

registerEnumType(TranscodeTaskState, {
  name: 'TranscodeTaskState',
  description: "Where a transcoding task stands; stateCode carries the original system's number.",
  valuesConfig: {
    PENDING: { description: 'Waiting for a worker (1).' },
    SUCCEEDED: { description: 'Transcoded; the media serves the MP4 (2).' },
    FAILED: {
      description:
        'The last attempt failed: retried automatically when nextAttemptAt is set, else waiting for a person (3).',
    },
    PROCESSING: { description: 'A worker holds it (4).' },
    CANCELLED: { description: 'Stopped by a person; retry it to start again (5).' },
  },
});

@ObjectType('TranscodeTask', { description: 'The conversion of one stored video to H.264/AAC MP4, for admins.' })
export class TranscodeTaskType implements TranscodeTaskView {
  @Field(() => ID)
  id!: string;

  @Field()
  fileMd5!: string;

  @Field(() => TranscodeTaskState)
  state!: TaskState;

  @Field(() => Int, { description: 'Attempts started since it was queued or last retried by a person.' })
  attempts!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'After this many failed attempts it waits for a person; null once it succeeded.',
  })
  maxAttempts?: number;

  @Field(() => Int, { nullable: true, description: 'Percent done of the running attempt.' })
  progress?: number;

  @Field({ nullable: true, description: 'Why the last attempt failed, or who cancelled it.' })
  lastError?: string;

  @Field({ nullable: true, description: 'The worker holding it while it runs.' })
  leaseOwner?: string;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description: "When the running worker's lease ends unless renewed; another worker may take it over then.",
  })
  leaseExpiresAt?: Date;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description:
      'When a worker may start it next (now when it is due): for PENDING, and FAILED awaiting an automatic retry.',
  })
  nextAttemptAt?: Date;

  @Field({ nullable: true, description: 'The worker that finished it.' })
  finishedBy?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  finishedAt?: Date;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;
}

@ObjectType('TranscodeTaskPage')
export class TranscodeTaskPage extends pageOf(TranscodeTaskType) {}

@InputType('TranscodeTaskFilter')
export class TranscodeTaskFilter {
  @Field(() => TranscodeTaskState, { nullable: true })
  state?: TaskState;

  @Field({ nullable: true, description: 'The MD5 of the video (its media id).' })
  fileMd5?: string;
}
