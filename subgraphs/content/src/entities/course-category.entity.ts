import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A node of the category tree: the hidden root `1`, majors `1-N` and minors `1-N-M` (the leaves). */
@Entity({ tableName: 'course_category' })
export class CourseCategory {
  @PrimaryKey({ type: 'string', length: 32 })
  id!: string;

  @Property({ type: 'string', length: 64 })
  name!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  label?: string;

  @Property({ type: 'string', length: 32, fieldName: 'parent_id', nullable: true })
  parentId?: string;

  @Property({ type: 'integer', fieldName: 'order_by' })
  orderBy!: number;

  @Property({ type: 'boolean', fieldName: 'is_show' })
  isShow!: boolean;

  @Property({ type: 'boolean', fieldName: 'is_leaf' })
  isLeaf!: boolean;

  /** An image from the media library shown beside the category on the site. */
  @Property({ type: 'string', length: 32, fieldName: 'icon_media_id', nullable: true })
  iconMediaId?: string;

  /** The organisation whose library holds the icon (unknown for icons set before it was recorded). */
  @Property({ type: 'string', length: 64, fieldName: 'icon_organisation_id', nullable: true })
  iconOrganisationId?: string;
}
