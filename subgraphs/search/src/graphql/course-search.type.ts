import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '@learnhub/platform/graphql';
import { Charge, CourseGrade, TeachingMode } from './course-enums';
import { CourseReference } from './course.reference';

@ObjectType('FacetCount', { description: 'One value of a facet and how many courses have it.' })
export class FacetCountType {
  @Field(() => ID)
  value!: string;

  @Field({ description: 'The category name, or the grade itself.' })
  name!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType('CourseSearchFacets', {
  description: 'Counts per major, minor and grade. Each facet honours every filter except its own.',
})
export class CourseSearchFacetsType {
  @Field(() => [FacetCountType])
  mt!: FacetCountType[];

  @Field(() => [FacetCountType])
  st!: FacetCountType[];

  @Field(() => [FacetCountType])
  grade!: FacetCountType[];
}

@ObjectType('CourseSearchHit', {
  description: 'A published course as search holds it: enough to render a result without asking content.',
})
export class CourseSearchHitType {
  @Field(() => CourseReference, {
    nullable: true,
    description:
      "The course in content. Its id is always here; its other fields follow content's access rules (null where the viewer may not read it).",
  })
  course!: CourseReference;

  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'The name as HTML: matched terms in <em>, everything else escaped.' })
  highlightedName!: string;

  @Field(() => Float, { description: 'Relevance; higher is better, 0 without a keyword.' })
  score!: number;

  @Field(() => ID)
  organisationId!: string;

  @Field()
  organisationName!: string;

  @Field(() => ID)
  mt!: string;

  @Field()
  mtName!: string;

  @Field(() => ID)
  st!: string;

  @Field()
  stName!: string;

  @Field(() => CourseGrade)
  grade!: CourseGrade;

  @Field(() => TeachingMode)
  teachingMode!: TeachingMode;

  @Field(() => [String])
  tags!: string[];

  @Field()
  audience!: string;

  @Field()
  description!: string;

  @Field(() => String, { nullable: true })
  coverUrl!: string | null;

  @Field(() => Charge)
  charge!: Charge;

  @Field({ description: 'Exact decimal, two places; "0.00" when free.' })
  price!: string;

  @Field(() => String, { nullable: true })
  originalPrice!: string | null;

  @Field(() => Int, { nullable: true, description: 'Days a purchase stays valid; none means unlimited.' })
  validDays!: number | null;

  /** ISO 8601, as the course document holds it. */
  @Field(() => GraphQLDateTimeISO)
  publishedAt!: string;
}

@ObjectType('CourseSearchResult', { description: 'One page of published courses found, the total, and the facets.' })
export class CourseSearchResultType extends PageInfo {
  @Field(() => [CourseSearchHitType])
  hits!: CourseSearchHitType[];

  @Field(() => CourseSearchFacetsType)
  facets!: CourseSearchFacetsType;
}
