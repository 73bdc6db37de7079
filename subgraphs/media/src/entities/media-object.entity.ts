import {
  BigIntType,
  Entity,
  Enum,
  Formula,
  OptionalProps,
  PrimaryKey,
  PrimaryKeyProp,
  Property,
} from '@mikro-orm/core';

export enum MediaType {
  IMAGE = 'IMAGE',
  VIDEO = 'VIDEO',
  DOCUMENT = 'DOCUMENT',
}

/** The original system's dictionary codes for media types. */
export const mediaTypeCodes: Record<MediaType, string> = {
  [MediaType.IMAGE]: '001001',
  [MediaType.VIDEO]: '001002',
  [MediaType.DOCUMENT]: '001003',
};

/** A stored file, addressed by the MD5 of its bytes and shared by every library entry that holds it. */
@Entity({ tableName: 'media_objects' })
export class MediaObject {
  [PrimaryKeyProp]?: 'fileMd5';
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'string', length: 32, fieldName: 'file_md5' })
  fileMd5!: string;

  @Enum({ items: () => MediaType, fieldName: 'media_type' })
  type!: MediaType;

  @Property({ type: 'string', length: 127, fieldName: 'mime_type' })
  mimeType!: string;

  @Property({ type: new BigIntType('number'), fieldName: 'size_bytes' })
  size!: number;

  @Property({ type: 'string', length: 63 })
  bucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'object_key' })
  objectKey!: string;

  /** The browser-playable MP4 a transcoding wrote next to the original; the file served when set. */
  @Property({ type: 'string', length: 512, fieldName: 'playback_key', nullable: true })
  playbackKey?: string | null;

  /** A still frame (JPEG) of a video, in the same bucket. */
  @Property({ type: 'string', length: 512, fieldName: 'poster_key', nullable: true })
  posterKey?: string | null;

  @Property({ type: 'double', fieldName: 'duration_seconds', nullable: true })
  durationSeconds?: number | null;

  @Property({ type: 'integer', nullable: true })
  width?: number | null;

  @Property({ type: 'integer', nullable: true })
  height?: number | null;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();

  /**
   * How many published courses list this object among their public media, read with the row
   * (one indexed subquery), so every view of it knows whether its URLs are plain or signed.
   */
  @Formula((table) => `(select count(*) from course_public_media p where p.file_md5 = ${table.alias}.file_md5)`)
  publicCourses?: number | string;
}

/** Whether a published course made the object public (PostgreSQL counts come back as strings). */
export function isPublicObject(object: Pick<MediaObject, 'publicCourses'>): boolean {
  return Number(object.publicCourses ?? 0) > 0;
}
