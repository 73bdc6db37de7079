import { Entity, Property } from '@mikro-orm/core';
import { FinishedTask } from '@learnhub/platform/tasks';

/** A transcoding task that succeeded, moved out of `media_process` in the transaction that recorded its output. */
@Entity({ tableName: 'media_process_history' })
export class MediaProcessHistory extends FinishedTask {
  @Property({ type: 'string', length: 32, fieldName: 'file_md5' })
  fileMd5!: string;

  @Property({ type: 'string', length: 63 })
  bucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'object_key' })
  objectKey!: string;
}
