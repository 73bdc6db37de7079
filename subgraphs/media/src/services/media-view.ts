import type { MediaAuditStatus, MediaFile } from '../entities/media-file.entity';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
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

/** The view of an entry, with a URL for its stored file that a browser can open. */
export async function mediaView(entry: MediaFile, store: ObjectStore): Promise<MediaView> {
  const object = entry.object;
  const url = await store.url(object.bucket, object.objectKey);
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
