import { Entity, Enum, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { MediaObject } from './media-object.entity';

export enum MediaAuditStatus {
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  PENDING = 'PENDING',
}

export const mediaAuditStatusCodes: Record<MediaAuditStatus, string> = {
  [MediaAuditStatus.REJECTED]: '002001',
  [MediaAuditStatus.PENDING]: '002002',
  [MediaAuditStatus.APPROVED]: '002003',
};

/** An organisation's media library entry over a stored object. */
@Entity({ tableName: 'media_files' })
@Unique({ name: 'media_files_org_md5_uq', properties: ['organisationId', 'object'] })
export class MediaFile {
  [OptionalProps]?: 'auditStatus' | 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 64, fieldName: 'organisation_id', index: 'media_files_org_idx' })
  organisationId!: string;

  @ManyToOne(() => MediaObject, { fieldName: 'file_md5', deleteRule: 'restrict' })
  object!: Rel<MediaObject>;

  @Property({ type: 'string', length: 255, fieldName: 'file_name' })
  fileName!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  tags?: string;

  @Property({ type: 'string', length: 1024, nullable: true })
  remark?: string;

  @Enum({ items: () => MediaAuditStatus, fieldName: 'audit_status' })
  auditStatus: MediaAuditStatus = MediaAuditStatus.APPROVED;

  @Property({ type: 'string', length: 64, fieldName: 'created_by' })
  createdBy!: string;

  @Property({ type: 'datetime', fieldName: 'created_at' })
  createdAt: Date = new Date();
}
