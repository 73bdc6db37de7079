import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { canReadOrganisation, requireOrganisation, requireRole, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { AppError, badInput, conflict, ErrorCode, notFound } from '@learnhub/platform/errors';
import type { PageRequest } from '@learnhub/platform/graphql';
import { cleanFileName } from '@learnhub/platform/http';
import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { MediaType, type MediaObject } from '../entities/media-object.entity';
import type { MediaAuditStatus } from '../entities/media-file.entity';
import type { MediaRepository } from '../repositories/media.repository';
import type { CourseUsage } from './course-usage';
import { fileKey, Buckets } from '../rules/object-keys';
import { isMd5 } from '../rules/md5';
import { mediaView, type MediaView } from './media-view';
import { SNIFF_BYTES, sniff } from '../rules/mime-sniffer';
import { transcodeStateOf, type Transcoding } from '../rules/playability';
import { spool } from '../storage/spooled-upload';
import { containsFilterText } from '@learnhub/platform/database';

export interface MediaFilterInput {
  name?: string;
  type?: MediaType;
  auditStatus?: MediaAuditStatus;
  /** Inclusive. */
  createdFrom?: Date;
  /** Exclusive. */
  createdTo?: Date;
}

export interface IncomingFile {
  fileName: string;
  stream: Readable;
}

export interface UploadDetails {
  tags?: string;
  remark?: string;
}

/** A reference from another subgraph: with an organisation, that organisation's entry; without, the earliest. */
export interface MediaReference {
  id: string;
  organisationId?: string;
}

// One cleaning wherever a name arrives (multipart uploads are also cleaned as they are parsed).
export { cleanFileName };

export interface MediaSettings {
  tempDir: string;
  uploadMaxBytes: number;
}

/** The media library: organisation-owned entries over content-addressed stored files. */
export class MediaService {
  constructor(
    private readonly media: MediaRepository,
    private readonly store: ObjectStore,
    private readonly settings: MediaSettings,
    private readonly courseUsage: CourseUsage,
  ) {}

  /** The viewer's organisation's entries, newest first. */
  async list(
    viewer: Viewer,
    filter: MediaFilterInput,
    page: PageRequest,
  ): Promise<{ items: MediaView[]; total: number }> {
    const organisationId = requireOrganisation(viewer);
    const { createdFrom, createdTo } = filter;
    if (createdFrom && createdTo && createdFrom >= createdTo) {
      throw badInput('createdFrom must be earlier than createdTo (from is inclusive, to is exclusive).', {
        fields: [{ field: 'createdTo', message: 'not after createdFrom' }],
      });
    }
    const [entries, total] = await this.media.page(
      {
        organisationId,
        name: containsFilterText('filter.name', filter.name, 255),
        type: filter.type,
        auditStatus: filter.auditStatus,
        createdFrom,
        createdTo,
      },
      page.offset,
      page.limit,
    );
    return { items: await Promise.all(entries.map((e) => mediaView(e, this.store))), total };
  }

  /**
   * One item by its MD5: the viewer's organisation's entry. Auditors and admins see any: their own
   * organisation's entry when it has one, else the earliest.
   */
  async get(viewer: Viewer, id: string): Promise<MediaView | undefined> {
    requireSignedIn(viewer);
    if (!isMd5(id)) return undefined;
    const privileged = viewer.roles.includes('admin') || viewer.roles.includes('auditor');
    let entry = viewer.organisationId === undefined ? null : await this.media.entry(id, viewer.organisationId);
    if (!entry && privileged) entry = await this.media.entry(id);
    return entry && canReadOrganisation(viewer, entry.organisationId) ? mediaView(entry, this.store) : undefined;
  }

  /**
   * Federation references from other subgraphs, batched in one query: each the entry of the
   * organisation it names (none when that organisation has none), or without one the earliest.
   * The referring subgraph decides who may see the link. Answers in the order asked.
   */
  async references(references: readonly MediaReference[]): Promise<(MediaView | undefined)[]> {
    const entries = await this.media.entriesOf([...new Set(references.map((ref) => ref.id).filter(isMd5))]);
    return Promise.all(
      references.map((ref) => {
        const entry = entries.find(
          (e) =>
            e.object.fileMd5 === ref.id &&
            (ref.organisationId === undefined || e.organisationId === ref.organisationId),
        );
        return entry && mediaView(entry, this.store);
      }),
    );
  }

  /** The transcoding of each file (NONE for those without a task) and the running attempt's progress, batched. */
  async transcodes(ids: readonly string[]): Promise<Map<string, Transcoding>> {
    const tasks = await this.media.transcodes(ids.filter(isMd5));
    return new Map(
      ids.map((id) => [id, { state: transcodeStateOf(tasks.get(id)?.state), progress: tasks.get(id)?.progress }]),
    );
  }

  /**
   * Removes the viewer's organisation's entry for a file. When no organisation holds the file any
   * more its bytes go too, after the rows are gone: a failed delete of the bytes leaves an unused
   * object for an operator (logged on `log`, the request's logger), never an entry without bytes.
   */
  async delete(viewer: Viewer, id: string, log: Logger): Promise<true> {
    requireRole(viewer, 'member');
    const organisationId = requireOrganisation(viewer);
    if (!isMd5(id) || !(await this.media.entry(id, organisationId))) throw notFound('Media', id);
    await this.assertUnused(id, organisationId, log);
    const removed = await this.media.removeEntry(id, organisationId);
    if (!removed) throw notFound('Media', id);
    if (removed.released) {
      const { bucket, objectKey } = removed.released;
      await deleteStoredBytes(this.store, removed.released).catch((error: unknown) =>
        log.error(
          { err: error, bucket, objectKey },
          `Media ${id} is deleted, but its stored bytes could not be: delete ${bucket}/${objectKey} by hand.`,
        ),
      );
    }
    return true;
  }

  /** Refuses (CONFLICT, MEDIA_IN_USE) while a published course or a pending snapshot shows the item. */
  private async assertUnused(id: string, organisationId: string, log: Logger): Promise<void> {
    let courses;
    try {
      courses = await this.courseUsage.coursesUsing(id, organisationId);
    } catch (error) {
      log.error({ err: error, mediaId: id }, 'the content service did not say which courses use the media');
      throw new AppError(ErrorCode.INTERNAL, 'Could not check whether the media is in use; try again.', {
        reason: 'MEDIA_USAGE_UNKNOWN',
      });
    }
    if (courses.length === 0) return;
    const named = courses.map((course) => `"${course.name}" (${course.id}, ${course.state})`).join(', ');
    throw conflict(
      `Media ${id} is used by ${courses.length === 1 ? 'course' : 'courses'} ${named}: take it out of ${courses.length === 1 ? 'that course' : 'those courses'} (or take ${courses.length === 1 ? 'it' : 'them'} offline) and publish again before deleting it.`,
      {
        reason: 'MEDIA_IN_USE',
        courses: courses.map(({ id: courseId, name, state }) => ({ id: courseId, name, state })),
      },
    );
  }

  /**
   * Stores an image or document for the viewer's organisation. The type comes from the bytes;
   * the same bytes uploaded again by the same organisation return the existing entry.
   */
  async upload(viewer: Viewer, file: IncomingFile, details: UploadDetails): Promise<MediaView> {
    requireSignedIn(viewer);
    requireRole(viewer, 'member', 'admin');
    const organisationId = requireOrganisation(viewer);
    const fileName = cleanFileName(file.fileName);
    const spooled = await spool(file.stream, this.settings.tempDir, this.settings.uploadMaxBytes, SNIFF_BYTES);
    try {
      if (spooled.size === 0)
        throw badInput('The file is empty.', { fields: [{ field: 'file', message: 'empty file' }] });
      const sniffed = sniff(spooled.head, fileName);
      if (!sniffed) {
        throw badInput(
          `"${fileName}" is not a supported image or document (PNG, JPEG, GIF, WebP, BMP, PDF, Office, ZIP or text).`,
          {
            reason: 'UNSUPPORTED_FILE_TYPE',
          },
        );
      }
      if (sniffed.type === MediaType.VIDEO) {
        throw badInput(
          `"${fileName}" is a video: upload videos with the resumable chunked upload (checkFile, uploadChunk, mergeChunks).`,
          {
            reason: 'USE_CHUNKED_UPLOAD',
          },
        );
      }
      const object = (await this.media.object(spooled.md5)) ?? {
        fileMd5: spooled.md5,
        type: sniffed.type,
        mimeType: sniffed.mimeType,
        size: spooled.size,
        bucket: Buckets.files,
        objectKey: fileKey(spooled.md5, sniffed.extension, new Date()),
      };
      // The record may outlive its bytes (a failed earlier put): store them again when missing.
      if (!(await this.store.stat(object.bucket, object.objectKey))) {
        await this.store.put(object.bucket, object.objectKey, createReadStream(spooled.path), {
          contentType: object.mimeType,
          size: spooled.size,
        });
      }
      const entry = await this.media.record(object, {
        organisationId,
        fileName,
        tags: details.tags,
        remark: details.remark,
        createdBy: viewer.userId,
      });
      return mediaView(entry, this.store);
    } finally {
      await spooled.discard();
    }
  }
}

/** A video's folder `<m0>/<m1>/<md5>/` holds its transcoded MP4 too, so the whole folder goes. */
async function deleteStoredBytes(store: ObjectStore, object: MediaObject): Promise<void> {
  const folder = object.objectKey.slice(0, object.objectKey.lastIndexOf('/') + 1);
  if (object.type === MediaType.VIDEO && folder.endsWith(`/${object.fileMd5}/`))
    await store.deleteByPrefix(object.bucket, folder);
  else await store.delete(object.bucket, object.objectKey);
}
