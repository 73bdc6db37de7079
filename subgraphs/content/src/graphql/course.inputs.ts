import { pageOf } from '@learnhub/platform/graphql';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Charge, CourseGrade, PublishStatus, TeachingMode } from '@learnhub/contracts/published-course';
import { AuditStatus } from '../entities/course-dictionary';
import type { CourseFields } from '../services/course-input';
import type { CourseFilterInput } from '../services/course.service';
import { CourseType } from './course.type';

const MONEY = 'Exact decimal as a string, up to 8 digits and 2 decimals, e.g. "199" or "19.90".';

@InputType('CreateCourseInput', { description: 'A new course: base and marketing information together.' })
export class CreateCourseInput implements CourseFields {
  @Field({ description: '1 to 100 characters.' })
  name!: string;

  @Field({ description: 'Who the course is for, 1 to 500 characters.' })
  audience!: string;

  @Field({ nullable: true, description: 'Up to 200 characters.' })
  tags?: string;

  @Field(() => ID, { description: 'A visible major category, e.g. 1-3.' })
  mt!: string;

  @Field(() => ID, { description: 'A visible minor category under mt, e.g. 1-3-2.' })
  st!: string;

  @Field(() => CourseGrade)
  grade!: CourseGrade;

  @Field(() => TeachingMode)
  teachingMode!: TeachingMode;

  @Field({ nullable: true, description: 'Up to 5000 characters.' })
  description?: string;

  @Field(() => ID, { nullable: true, description: "An image from the organisation's media library." })
  coverMediaId?: string;

  @Field(() => Charge)
  charge!: Charge;

  @Field({ nullable: true, description: `Required and above 0 when PAID; always "0.00" when FREE. ${MONEY}` })
  price?: string;

  @Field({ nullable: true, description: `At least the price; ignored when FREE. ${MONEY}` })
  originalPrice?: string;

  @Field({ nullable: true, description: '5 to 12 digits.' })
  qq?: string;

  @Field({ nullable: true, description: 'Up to 64 characters.' })
  wechat?: string;

  @Field({ nullable: true, description: '6 to 20 digits, +, - or spaces.' })
  phone?: string;

  @Field(() => Int, { nullable: true, description: '1 to 3650; none means unlimited.' })
  validDays?: number;
}

// Nullable unions defeat reflection, hence the explicit field types.
@InputType('UpdateCourseInput', {
  description: 'Only the fields given change; null clears an optional field (coverMediaId: null removes the cover).',
})
export class UpdateCourseInput implements CourseFields {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  audience?: string | null;

  @Field(() => String, { nullable: true })
  tags?: string | null;

  @Field(() => ID, { nullable: true })
  mt?: string | null;

  @Field(() => ID, { nullable: true })
  st?: string | null;

  @Field(() => CourseGrade, { nullable: true })
  grade?: CourseGrade | null;

  @Field(() => TeachingMode, { nullable: true })
  teachingMode?: TeachingMode | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => ID, { nullable: true })
  coverMediaId?: string | null;

  @Field(() => Charge, { nullable: true })
  charge?: Charge | null;

  @Field(() => String, { nullable: true, description: MONEY })
  price?: string | null;

  @Field(() => String, { nullable: true, description: MONEY })
  originalPrice?: string | null;

  @Field(() => String, { nullable: true })
  qq?: string | null;

  @Field(() => String, { nullable: true })
  wechat?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => Int, { nullable: true })
  validDays?: number | null;
}

@InputType('CourseFilter')
export class CourseFilter implements CourseFilterInput {
  @Field({ nullable: true, description: 'Part of the name, any case; % and _ match only themselves.' })
  name?: string;

  @Field(() => AuditStatus, { nullable: true })
  auditStatus?: AuditStatus;

  @Field(() => PublishStatus, { nullable: true })
  publishStatus?: PublishStatus;

  @Field(() => ID, { nullable: true, description: "Auditors and admins: one organisation's courses." })
  organisationId?: string;
}

@ObjectType('CoursePage')
export class CoursePage extends pageOf(CourseType) {}
