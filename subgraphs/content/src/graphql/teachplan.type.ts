import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MediaReference } from './media.reference';

export enum MoveDirection {
  UP = 'UP',
  DOWN = 'DOWN',
}

registerEnumType(MoveDirection, {
  name: 'MoveDirection',
  description:
    'Swap with the previous (UP) or the next (DOWN) sibling; the first moved up or the last moved down stays put.',
});

@ObjectType('Teachplan', {
  description: "A node of a course's teaching plan: a chapter (grade 1) holding sections (grade 2).",
})
export class TeachplanType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  courseId!: string;

  @Field(() => ID, { nullable: true, description: "The section's chapter; null for chapters." })
  parentId!: string | null;

  @Field(() => Int, { description: '1 for a chapter, 2 for a section.' })
  grade!: number;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Position among its siblings: 1..n, no gaps.' })
  order!: number;

  @Field({ nullable: true })
  description?: string;

  @Field({ description: 'Free trial: anyone may watch this section. Always false on chapters.' })
  preview!: boolean;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  startTime?: Date;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  endTime?: Date;

  @Field(() => Int, { nullable: true })
  durationSeconds?: number;

  /** Kept for the `media` field resolver. */
  mediaId?: string;

  /** The course's organisation, kept for the `media` field resolver. */
  organisationId!: string;

  /** Set on published sections the viewer may not watch; kept for the `locked` field resolver. */
  locked?: boolean;

  @Field({
    nullable: true,
    description: "The bound media's file name when it was bound, shown even while media is unreachable.",
  })
  mediaFileName?: string;

  @Field(() => [TeachplanType], { description: "A chapter's sections in order; empty for sections." })
  children!: TeachplanType[];

  @Field(() => MediaReference, { nullable: true, description: "A section's bound video or document." })
  media?: MediaReference | null;
}

@InputType('SaveTeachplanInput', {
  description:
    'Without id: creates a chapter (no parentId) or a section under the chapter parentId, as the last of its siblings. ' +
    'With id: updates that node; omitted fields keep their values, null clears them. Nodes do not move between chapters.',
})
export class SaveTeachplanInput {
  @Field(() => ID, { nullable: true })
  id?: string | null;

  @Field(() => ID)
  courseId!: string;

  @Field(() => ID, { nullable: true, description: 'The chapter a section belongs to; omit for a chapter.' })
  parentId?: string | null;

  @Field({ description: '1 to 100 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 1000 characters.' })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Sections only.' })
  preview?: boolean | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  startTime?: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Not before startTime.' })
  endTime?: Date | null;

  @Field(() => Int, { nullable: true, description: '0 to 604800 (7 days).' })
  durationSeconds?: number | null;
}

@InputType('BindTeachplanMediaInput')
export class BindTeachplanMediaInput {
  @Field(() => ID, { description: 'A section.' })
  teachplanId!: string;

  @Field(() => ID, { description: "A video or document in the course organisation's media library." })
  mediaId!: string;
}
