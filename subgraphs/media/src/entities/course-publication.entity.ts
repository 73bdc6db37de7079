import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The newest publication of a course that media has been told of: its version (newer wins), its
 * organisation and its page object, which is public for as long as the row exists.
 */
@Entity({ tableName: 'course_publications' })
@Index({ name: 'course_publications_page_idx', properties: ['pageBucket', 'pageKey'] })
export class CoursePublication {
  @PrimaryKey({ type: 'string', length: 64, fieldName: 'course_id' })
  courseId!: string;

  @Property({ type: new BigIntType('number') })
  version!: number;

  @Property({ type: 'string', length: 64, fieldName: 'organisation_id' })
  organisationId!: string;

  @Property({ type: 'string', length: 63, fieldName: 'page_bucket' })
  pageBucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'page_key' })
  pageKey!: string;

  @Property({ type: 'datetime', fieldName: 'updated_at' })
  updatedAt: Date = new Date();
}
