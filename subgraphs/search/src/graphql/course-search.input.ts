import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { Charge, CourseGrade } from './course-enums';
import { CourseSearchSort } from '../index/search-index';

registerEnumType(CourseSearchSort, {
  name: 'CourseSearchSort',
  description: 'RELEVANCE (newest first without a keyword), NEWEST, PRICE_ASC or PRICE_DESC.',
});

@InputType({ description: 'What to search for: a keyword and exact filters, all optional.' })
export class CourseSearchInput {
  @Field({
    nullable: true,
    description: 'Words in any mix of Chinese and English, e.g. "Spring微服务"; at most 200 characters.',
  })
  keyword?: string;

  @Field(() => ID, { nullable: true, description: 'Major category id, e.g. 1-3.' })
  mt?: string;

  @Field(() => ID, { nullable: true, description: 'Minor category id, e.g. 1-3-2.' })
  st?: string;

  @Field(() => CourseGrade, { nullable: true })
  grade?: CourseGrade;

  @Field(() => Charge, { nullable: true })
  charge?: Charge;

  @Field(() => CourseSearchSort, { defaultValue: CourseSearchSort.RELEVANCE })
  sort: CourseSearchSort = CourseSearchSort.RELEVANCE;
}
