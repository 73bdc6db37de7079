import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * A reference to a media item owned by the media subgraph. Two organisations may hold the same
 * bytes (the same id), so a reference names the organisation whose library entry is meant: the
 * owning course's (or, for a category icon, the image's own when it was set).
 */
@ObjectType('Media')
@Directive('@key(fields: "id organisationId", resolvable: false)')
export class MediaReference {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The organisation whose media library holds the item.' })
  organisationId!: string;
}

/** A reference when both the item and its owner are known; null otherwise. */
export const mediaReference = (id: string | undefined, organisationId: string | undefined): MediaReference | null =>
  id && organisationId ? { id, organisationId } : null;
