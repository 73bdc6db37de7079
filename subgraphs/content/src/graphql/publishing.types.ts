import { pageOf } from '@learnhub/platform/graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { CourseSnapshot } from '../publishing/course-snapshot';
import { AuditDecision } from '../entities/course-audit.entity';
import { TaskState } from '@learnhub/platform/tasks';
import { PublishAction, StageState } from '../entities/outbox-message.entity';
import { AuditStatus, PublishStatus } from './course-enums';
import { CourseTeacherType } from './course-teacher.type';
import { CourseFields, CourseType } from './course.type';
import { MediaReference } from './media.reference';
import { TeachplanType } from './teachplan.type';

registerEnumType(AuditDecision, {
  name: 'AuditDecision',
  description: "An auditor's decision on a submitted snapshot.",
});
/** TaskState as content's clients know it. */
const OutboxMessageState = {
  PENDING: TaskState.PENDING,
  PROCESSING: TaskState.PROCESSING,
  FAILED: TaskState.FAILED,
  CANCELLED: TaskState.CANCELLED,
  SUCCEEDED: TaskState.SUCCEEDED,
};

registerEnumType(OutboxMessageState, {
  name: 'OutboxMessageState',
  description: 'Pending, processing, failed (retrying or for good), cancelled, or succeeded (moved to the history).',
});
registerEnumType(StageState, {
  name: 'OutboxStageState',
  description: 'PENDING until the stage finished; SKIPPED when there was nothing to do (no cache configured).',
});
registerEnumType(PublishAction, {
  name: 'PublishAction',
  description: 'What changed the published record: a publish, taking it offline, or putting it back online.',
});

@ObjectType('CourseSnapshot', {
  description:
    'A course frozen when it was submitted for audit: what the auditor reviews and what gets published. Later draft edits do not change it.',
})
export class CourseSnapshotType extends CourseFields {
  @Field()
  mtName!: string;

  @Field()
  stName!: string;

  @Field(() => MediaReference, { nullable: true })
  cover?: MediaReference | null;

  @Field(() => [TeachplanType], { description: 'Chapters in order, each with its sections in order.' })
  teachplan!: TeachplanType[];

  @Field(() => [CourseTeacherType])
  teachers!: CourseTeacherType[];

  /** ISO 8601, as the stored snapshot holds it. */
  @Field(() => GraphQLDateTimeISO, { description: 'When the draft was frozen.' })
  takenAt!: string;
}

@ObjectType('CourseAuditSnapshot', { description: "A course's pre-publish snapshot and where its audit stands." })
export class CourseAuditSnapshotType {
  @Field(() => ID)
  courseId!: string;

  @Field(() => ID)
  organisationId!: string;

  @Field()
  name!: string;

  @Field(() => AuditStatus, { description: 'SUBMITTED, APPROVED or REJECTED.' })
  auditStatus!: AuditStatus;

  @Field(() => GraphQLDateTimeISO)
  submittedAt!: Date;

  @Field(() => ID)
  submittedBy!: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  auditedAt?: Date;

  @Field(() => ID, { nullable: true })
  auditedBy?: string;

  @Field(() => CourseSnapshotType)
  content!: CourseSnapshotType;

  /** The snapshot as stored, kept for the `html` field resolver. */
  stored!: CourseSnapshot;
}

@ObjectType('CourseAuditSnapshotPage')
export class CourseAuditSnapshotPage extends pageOf(CourseAuditSnapshotType) {}

@ObjectType('CourseAuditRecord', { description: "One auditor's decision on one submission, kept for good." })
export class CourseAuditRecordType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  courseId!: string;

  @Field(() => AuditDecision)
  decision!: AuditDecision;

  @Field()
  opinion!: string;

  @Field(() => ID)
  auditorId!: string;

  @Field(() => GraphQLDateTimeISO)
  auditedAt!: Date;

  @Field(() => GraphQLDateTimeISO, { description: 'When the snapshot decided on was submitted.' })
  submittedAt!: Date;
}

@InputType('AuditCourseInput')
export class AuditCourseInput {
  @Field(() => ID)
  courseId!: string;

  @Field(() => AuditDecision)
  decision!: AuditDecision;

  @Field(() => String, { nullable: true, description: 'Required to reject (what to change); up to 500 characters.' })
  opinion?: string | null;
}

@ObjectType('PublishedCourse', {
  description: 'A course as the public sees it: the published snapshot, never the draft.',
})
export class PublishedCourseType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'Grows with every publish, offline and online.' })
  version!: number;

  @Field(() => PublishStatus, { description: 'PUBLISHED or OFFLINE.' })
  status!: PublishStatus;

  // The times stay the ISO 8601 strings the published record carries (it is cached as JSON); the scalar writes them as they are.
  @Field(() => GraphQLDateTimeISO)
  publishedAt!: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  onlineAt?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  offlineAt?: string;

  @Field({ description: 'The static course page in object storage (written moments after a publish).' })
  pageUrl!: string;

  @Field(() => CourseSnapshotType)
  content!: CourseSnapshotType;
}

@ObjectType('CoursePreview')
export class CoursePreviewType {
  @Field({ description: 'The course page rendered from the draft, as the published page would show it.' })
  html!: string;

  @Field(() => CourseType)
  course!: CourseType;
}

@ObjectType('OutboxStage', {
  description:
    'One stage of an outbox message: one effect of the change, such as the static page or the search document.',
})
export class OutboxStageType {
  @Field({ description: "The stage's name, as the publish processor calls it." })
  name!: string;

  @Field(() => StageState)
  state!: StageState;

  @Field(() => String, { nullable: true, description: 'What the stage reported when it finished.' })
  result?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  finishedAt?: Date;
}

@ObjectType('OutboxMessage', { description: 'A message of the publish outbox (mq_message), live or finished.' })
export class OutboxMessageType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'course_publish.' })
  messageType!: string;

  @Field(() => ID, { description: 'Business key 1: the course.' })
  courseId!: string;

  @Field(() => Int, {
    nullable: true,
    description: "Business key 2: the published record's version the message carries.",
  })
  version?: number;

  @Field(() => PublishAction, { nullable: true, description: 'Business key 3.' })
  action?: PublishAction;

  @Field(() => OutboxMessageState)
  state!: TaskState;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true })
  maxAttempts?: number;

  @Field(() => [OutboxStageType], {
    description:
      "The publish processor's stages in the order it runs them; empty until a worker first finished or failed one.",
  })
  stages!: OutboxStageType[];

  @Field({ nullable: true, description: 'What the last finished stage did.' })
  lastResult?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  lastSuccessAt?: Date;

  @Field({ nullable: true })
  lastError?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  lastFailureAt?: Date;

  @Field({ nullable: true })
  leaseOwner?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  leaseExpiresAt?: Date;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  nextAttemptAt?: Date;

  @Field({ nullable: true })
  finishedBy?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  finishedAt?: Date;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;
}

@ObjectType('OutboxMessagePage')
export class OutboxMessagePage extends pageOf(OutboxMessageType) {}

@InputType('OutboxMessageFilter')
export class OutboxMessageFilter {
  @Field(() => OutboxMessageState, { nullable: true })
  state?: TaskState;

  @Field(() => ID, { nullable: true })
  courseId?: string;
}
