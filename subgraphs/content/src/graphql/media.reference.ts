import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A reference to a media item owned by the media subgraph; content only holds its id. */
@ObjectType('Media')
@Directive('@key(fields: "id", resolvable: false)')
export class MediaReference {
  @Field(() => ID)
  id!: string;
}

export const mediaReference = (id: string | undefined): MediaReference | null => (id ? { id } : null);
