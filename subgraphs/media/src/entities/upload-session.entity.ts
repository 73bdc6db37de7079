import { BigIntType, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum UploadState {
  UPLOADING = 'UPLOADING',
  MERGING = 'MERGING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  ABORTED = 'ABORTED',
  EXPIRED = 'EXPIRED',
}

/**
 * One organisation's resumable upload of one file (by MD5). Its chunks are the parts of one
 * multipart upload on the object store, completed on merge, so merging copies nothing.
 */
@Entity({ tableName: 'upload_sessions' })
@Unique({ name: 'upload_sessions_org_md5_uq', properties: ['organisationId', 'fileMd5'] })
/** For counting an organisation's open uploads against its quota. */
@Index({ name: 'upload_sessions_org_open_idx', properties: ['organisationId', 'state', 'lastActivityAt'] })
/** For finding merges whose lease ran out. */
@Index({ name: 'upload_sessions_state_lease_idx', properties: ['state', 'leaseUntilMs'] })
export class UploadSession {
  [OptionalProps]?: 'createdAt' | 'lastActivityAt' | 'state';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 64, fieldName: 'organisation_id' })
  organisationId!: string;

  @Property({ type: 'string', length: 32, fieldName: 'file_md5' })
  fileMd5!: string;

  @Property({ type: 'string', length: 255, fieldName: 'file_name' })
  fileName!: string;

  @Property({ type: new BigIntType('number'), fieldName: 'file_size' })
  fileSize!: number;

  @Property({ type: 'integer', fieldName: 'chunk_size' })
  chunkSize!: number;

  @Property({ type: 'integer', fieldName: 'chunk_total' })
  chunkTotal!: number;

  @Enum({ items: () => UploadState })
  state: UploadState = UploadState.UPLOADING;

  @Property({ type: 'string', length: 63 })
  bucket!: string;

  @Property({ type: 'string', length: 512, fieldName: 'object_key' })
  objectKey!: string;

  @Property({ type: 'string', length: 255, fieldName: 'multipart_upload_id' })
  multipartUploadId!: string;

  /** Sniffed from chunk 0 when it arrives, so a file that is not a video is refused at once. */
  @Property({ type: 'string', length: 127, fieldName: 'mime_type', nullable: true })
  mimeType?: string;

  @Property({ type: 'string', length: 1024, fieldName: 'failure', nullable: true })
  failure?: string;

  @Property({ type: 'string', length: 64, fieldName: 'created_by' })
  createdBy!: string;

  /** The merging process (MERGING only); its token fences every write of the merge's result. */
  @Property({ type: 'string', length: 64, fieldName: 'lease_owner', nullable: true })
  leaseOwner?: string;

  @Property({ type: 'string', length: 64, fieldName: 'lease_token', nullable: true })
  leaseToken?: string;

  /** When the merge's lease ends, on the database's clock (epoch ms); after it anyone may take the merge over. */
  @Property({ type: new BigIntType('number'), fieldName: 'lease_until_ms', nullable: true })
  leaseUntilMs?: number;

  /** What the merge records in the library besides `fileName`, kept so whoever takes it over records the same. */
  @Property({ type: 'string', length: 255, nullable: true })
  tags?: string;

  @Property({ type: 'string', length: 1024, nullable: true })
  remark?: string;

  @Property({ type: 'string', length: 64, fieldName: 'merged_by', nullable: true })
  mergedBy?: string;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', fieldName: 'last_activity_at', index: 'upload_sessions_activity_idx' })
  lastActivityAt: Date = new Date();
}
