import type { MediaAuditStatus, MediaFile } from '../entities/media-file.entity';
import type { MediaType } from '../entities/media-object.entity';

/** A media item as callers see it: the stored object plus one organisation's library entry. */
export interface MediaView {
  id: string;
  fileMd5: string;
  fileName: string;
  type: MediaType;
  mimeType: string;
  size: number;
  url: string;
  organisationId: string;
  tags?: string;
  remark?: string;
  auditStatus: MediaAuditStatus;
  createdBy: string;
  createdAt: Date;
}

export function mediaView(entry: MediaFile, url: string): MediaView {
  const object = entry.object;
  return {
    id: object.fileMd5,
    fileMd5: object.fileMd5,
    fileName: entry.fileName,
    type: object.type,
    mimeType: object.mimeType,
    size: object.size,
    url,
    organisationId: entry.organisationId,
    tags: entry.tags,
    remark: entry.remark,
    auditStatus: entry.auditStatus,
    createdBy: entry.createdBy,
    createdAt: entry.createdAt,
  };
}
