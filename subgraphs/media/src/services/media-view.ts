import type { MediaAuditStatus, MediaFile } from '../entities/media-file.entity';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { isPublicObject, type MediaType } from '../entities/media-object.entity';

/** A media item as callers see it: the stored object plus one organisation's library entry. */
export interface MediaView {
  id: string;
  fileMd5: string;
  fileName: string;
  type: MediaType;
  /** The type of the file at `url`: video/mp4 once a transcoded copy is served, else the uploaded file's. */
  mimeType: string;
  /** Bytes of the uploaded file. */
  size: number;
  url: string;
  /** Whether `url` is a transcoded copy: read with the URL, so the transcoding shown beside it agrees. */
  transcoded: boolean;
  /** A still frame of a transcoded video. */
  posterUrl?: string;
  durationSeconds?: number;
  width?: number;
  height?: number;
  organisationId: string;
  tags?: string;
  remark?: string;
  auditStatus: MediaAuditStatus;
  createdBy: string;
  createdAt: Date;
}

/**
 * The view of an entry, with URLs a browser can open: the transcoded MP4 once there is one, else
 * the uploaded file. Plain URLs when a published course made the item public, else signed ones.
 */
export async function mediaView(entry: MediaFile, store: ObjectStore): Promise<MediaView> {
  const object = entry.object;
  const access = isPublicObject(object) ? 'public' : 'private';
  const [url, posterUrl] = await Promise.all([
    store.url(object.bucket, object.playbackKey ?? object.objectKey, { access }),
    object.posterKey ? store.url(object.bucket, object.posterKey, { access }) : undefined,
  ]);
  return {
    id: object.fileMd5,
    fileMd5: object.fileMd5,
    fileName: entry.fileName,
    type: object.type,
    mimeType: object.playbackKey ? 'video/mp4' : object.mimeType,
    size: object.size,
    url,
    transcoded: Boolean(object.playbackKey),
    posterUrl,
    durationSeconds: object.durationSeconds ?? undefined,
    width: object.width ?? undefined,
    height: object.height ?? undefined,
    organisationId: entry.organisationId,
    tags: entry.tags,
    remark: entry.remark,
    auditStatus: entry.auditStatus,
    createdBy: entry.createdBy,
    createdAt: entry.createdAt,
  };
}
