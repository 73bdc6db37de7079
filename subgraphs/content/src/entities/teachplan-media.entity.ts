import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** The media item bound to a section; at most one per section (binding again replaces it). */
@Entity({ tableName: 'teachplan_media' })
export class TeachplanMedia {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint', fieldName: 'teachplan_id', unique: 'teachplan_media_teachplan_uq' })
  teachplanId!: string;

  @Property({ type: 'bigint', fieldName: 'course_id' })
  courseId!: string;

  @Property({ type: 'string', length: 32, fieldName: 'media_id' })
  mediaId!: string;

  /** Kept as the original did, so the plan can show a name even while media is unreachable. */
  @Property({ type: 'string', length: 255, fieldName: 'media_file_name' })
  mediaFileName!: string;

  @Property({ type: 'string', length: 64, fieldName: 'created_by' })
  createdBy!: string;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();
}
