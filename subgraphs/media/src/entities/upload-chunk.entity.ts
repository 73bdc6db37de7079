import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum ChunkState {
  /** Its bytes are known to be the part: they came through media, or the store listed the part as declared. */
  STORED = 'STORED',
  /** A client was given a URL to send them straight to the store; not known to have arrived yet. */
  DECLARED = 'DECLARED',
}

/** A chunk of an upload session: part `index + 1` of the session's multipart upload. */
@Entity({ tableName: 'upload_chunks' })
export class UploadChunk {
  [OptionalProps]?: 'receivedAt' | 'state';

  @PrimaryKey({ type: 'bigint', fieldName: 'session_id' })
  sessionId!: string;

  @PrimaryKey({ type: 'integer', fieldName: 'chunk_index' })
  index!: number;

  @Property({ type: 'integer', fieldName: 'size_bytes' })
  size!: number;

  @Property({ type: 'string', length: 32 })
  md5!: string;

  @Enum({ items: () => ChunkState, length: 16 })
  state: ChunkState = ChunkState.STORED;

  /** The part's ETag, kept here because not every S3 server can list parts (a declared chunk: its MD5, as S3 would answer). */
  @Property({ type: 'string', length: 128, fieldName: 'part_etag' })
  partEtag!: string;

  @Property({ type: 'datetime', fieldName: 'received_at' })
  receivedAt: Date = new Date();
}
