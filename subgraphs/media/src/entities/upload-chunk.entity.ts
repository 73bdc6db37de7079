import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** A verified chunk of an upload session: stored as part `index + 1` of the session's multipart upload. */
@Entity({ tableName: 'upload_chunks' })
export class UploadChunk {
  [OptionalProps]?: 'receivedAt';

  @PrimaryKey({ type: 'bigint', fieldName: 'session_id' })
  sessionId!: string;

  @PrimaryKey({ type: 'integer', fieldName: 'chunk_index' })
  index!: number;

  @Property({ type: 'integer', fieldName: 'size_bytes' })
  size!: number;

  @Property({ type: 'string', length: 32 })
  md5!: string;

  /** The part's ETag, kept here because not every S3 server can list parts. */
  @Property({ type: 'string', length: 128, fieldName: 'part_etag' })
  partEtag!: string;

  @Property({ type: 'datetime', fieldName: 'received_at' })
  receivedAt: Date = new Date();
}
