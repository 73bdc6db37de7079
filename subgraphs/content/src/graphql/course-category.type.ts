import { Field, ID, Int, ObjectType } from 'type-graphql';
import { MediaReference } from './media.reference';

@ObjectType('CourseCategory', { description: 'A course category: majors (mt) hold minors (st), the leaves.' })
export class CourseCategoryType {
  @Field(() => ID, { description: 'Hierarchical id such as 1-3 (major) or 1-3-2 (minor).' })
  id!: string;

  @Field()
  name!: string;

  @Field({ nullable: true })
  label?: string;

  @Field(() => Int, { description: 'Position among its siblings, from 1.' })
  order!: number;

  @Field({ description: 'True for minors, which courses are filed under.' })
  leaf!: boolean;

  @Field(() => [CourseCategoryType])
  children!: CourseCategoryType[];

  /** Kept for the field resolver; not exposed. */
  iconMediaId?: string;
  iconOrganisationId?: string;

  @Field(() => MediaReference, { nullable: true, description: 'The image shown beside the category.' })
  icon?: MediaReference | null;
}
