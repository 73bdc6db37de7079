import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { AuditStatus, Charge, CourseGrade, PublishStatus, TeachingMode } from './course-enums';

@ObjectType('CourseMarket', { description: 'How a course is sold. Money is an exact decimal string such as "199.00".' })
export class CourseMarketType {
  @Field(() => Charge)
  charge!: Charge;

  @Field({ description: 'Exact decimal, two places; "0.00" when free.' })
  price!: string;

  @Field({ nullable: true })
  originalPrice?: string;

  @Field({ nullable: true })
  qq?: string;

  @Field({ nullable: true })
  wechat?: string;

  @Field({ nullable: true })
  phone?: string;

  @Field(() => Int, { nullable: true, description: 'Days a purchase stays valid; none means unlimited.' })
  validDays?: number;
}

/** The fields a course and its frozen snapshot share. */
// Never named by a field, so it never appears in a schema itself; its subclasses carry its fields.
@ObjectType()
export abstract class CourseFields {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  organisationId!: string;

  @Field()
  name!: string;

  @Field({ description: 'Who the course is for.' })
  audience!: string;

  @Field({ nullable: true })
  tags?: string;

  @Field(() => ID, { description: 'Major category (mt), e.g. 1-3.' })
  mt!: string;

  @Field(() => ID, { description: 'Minor category (st), a child of mt, e.g. 1-3-2.' })
  st!: string;

  @Field(() => CourseGrade)
  grade!: CourseGrade;

  @Field(() => TeachingMode)
  teachingMode!: TeachingMode;

  @Field({ nullable: true })
  description?: string;

  /** Kept for the `cover` field resolver. */
  coverMediaId?: string;

  @Field(() => CourseMarketType, { nullable: true })
  market?: CourseMarketType;
}

@ObjectType('Course', {
  description: 'A course: base information, marketing, plan and teachers. Owned by one organisation.',
})
@Directive('@key(fields: "id")')
export class CourseType extends CourseFields {
  @Field(() => AuditStatus)
  auditStatus!: AuditStatus;

  @Field(() => PublishStatus)
  publishStatus!: PublishStatus;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => GraphQLDateTimeISO)
  changedAt!: Date;

  @Field(() => ID)
  createdBy!: string;

  @Field(() => ID)
  changedBy!: string;
}
