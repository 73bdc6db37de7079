import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A course owned by the content subgraph; a hit only carries its id, the gateway fetches the rest. */
@ObjectType('Course')
@Directive('@key(fields: "id", resolvable: false)')
export class CourseReference {
  @Field(() => ID)
  id!: string;
}
