import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { PublishStatus } from '@learnhub/contracts/published-course';

/**
 * The published record (course_publish): the approved snapshot the public sees. `version` grows
 * with every publish, offline and online; the outbox's effects (page, search document, cache entry)
 * are written with it and the newest version wins.
 */
@Entity({ tableName: 'course_publish' })
export class CoursePublish {
  [OptionalProps]?: 'pageVersion';

  /** The course's id. */
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  id!: string;

  @Property({ type: 'string', length: 64, fieldName: 'organisation_id' })
  organisationId!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  /** A `CourseSnapshot` as JSON. */
  @Property({ type: 'text' })
  snapshot!: string;

  /** PUBLISHED or OFFLINE. */
  @Enum({ items: () => PublishStatus })
  status!: PublishStatus;

  @Property({ type: 'integer' })
  version!: number;

  /** The version the static page in object storage shows. */
  @Property({ type: 'integer', fieldName: 'page_version' })
  pageVersion: number = 0;

  /** When this snapshot was published. */
  @Property({ type: 'datetime', fieldName: 'published_at' })
  publishedAt!: Date;

  @Property({ type: 'string', length: 64, fieldName: 'published_by' })
  publishedBy!: string;

  @Property({ type: 'datetime', fieldName: 'online_at', nullable: true })
  onlineAt?: Date | null;

  @Property({ type: 'datetime', fieldName: 'offline_at', nullable: true })
  offlineAt?: Date | null;

  @Property({ type: 'datetime', fieldName: 'changed_at' })
  changedAt!: Date;
}
