import { Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A teacher of a course; names are unique within the course. */
@Entity({ tableName: 'course_teacher' })
@Unique({ name: 'course_teacher_name_uq', properties: ['courseId', 'name'] })
export class CourseTeacher {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint', fieldName: 'course_id' })
  courseId!: string;

  @Property({ type: 'string', length: 60 })
  name!: string;

  @Property({ type: 'string', length: 100, nullable: true })
  position?: string;

  @Property({ type: 'string', length: 2000, nullable: true })
  introduction?: string;

  @Property({ type: 'string', length: 32, fieldName: 'photo_media_id', nullable: true })
  photoMediaId?: string;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();
}
