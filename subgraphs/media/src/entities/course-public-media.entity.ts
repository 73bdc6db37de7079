import { Entity, PrimaryKey, PrimaryKeyProp } from '@mikro-orm/core';

/** A media object a published course shows to everyone: its original, playback MP4 and poster are public. */
@Entity({ tableName: 'course_public_media' })
export class CoursePublicMedia {
  [PrimaryKeyProp]?: ['courseId', 'fileMd5'];

  @PrimaryKey({ type: 'string', length: 64, fieldName: 'course_id' })
  courseId!: string;

  @PrimaryKey({ type: 'string', length: 32, fieldName: 'file_md5' })
  fileMd5!: string;
}
