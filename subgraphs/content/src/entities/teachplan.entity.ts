import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** Chapters (grade 1, parent 0) hold sections (grade 2); the original's parentid 0 keeps the unique order index working on every database. */
export const CHAPTER_PARENT = '0';

/** A node of a course's teaching plan. `orderBy` is dense (1..n) and unique among siblings. */
@Entity({ tableName: 'teachplan' })
export class Teachplan {
  [OptionalProps]?: 'createdAt' | 'changedAt' | 'preview';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint', fieldName: 'course_id' })
  courseId!: string;

  @Property({ type: 'bigint', fieldName: 'parent_id' })
  parentId!: string;

  @Property({ type: 'smallint' })
  grade!: 1 | 2;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'integer', fieldName: 'order_by' })
  orderBy!: number;

  @Property({ type: 'string', length: 1000, nullable: true })
  description?: string;

  /** Free trial: anyone may watch this section. */
  @Property({ type: 'boolean', fieldName: 'is_preview' })
  preview: boolean = false;

  @Property({ type: 'datetime', fieldName: 'start_time', nullable: true })
  startTime?: Date;

  @Property({ type: 'datetime', fieldName: 'end_time', nullable: true })
  endTime?: Date;

  @Property({ type: 'integer', fieldName: 'duration_seconds', nullable: true })
  durationSeconds?: number;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', fieldName: 'changed_at' })
  changedAt: Date = new Date();
}
