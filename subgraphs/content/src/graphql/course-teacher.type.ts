import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MediaReference } from './media.reference';

@ObjectType('CourseTeacher', { description: 'A teacher of a course.' })
export class CourseTeacherType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  courseId!: string;

  @Field()
  name!: string;

  @Field({ nullable: true })
  position?: string;

  @Field({ nullable: true })
  introduction?: string;

  /** Kept for the `photo` field resolver. */
  photoMediaId?: string;

  /** The course's organisation, kept for the `photo` field resolver. */
  organisationId!: string;

  @Field(() => MediaReference, { nullable: true })
  photo?: MediaReference | null;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;
}

@InputType('SaveCourseTeacherInput', { description: 'Adds a teacher (no id) or edits one.' })
export class SaveCourseTeacherInput {
  @Field(() => ID, { nullable: true })
  id?: string;

  @Field(() => ID)
  courseId!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  position?: string | null;

  @Field(() => String, { nullable: true })
  introduction?: string | null;

  @Field(() => ID, { nullable: true, description: 'An image from your media library; null clears it.' })
  photoMediaId?: string | null;
}
