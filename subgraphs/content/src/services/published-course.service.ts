import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cache } from '@learnhub/platform/cache';
import { isRowId } from '@learnhub/platform/database';
import type { Logger } from '@learnhub/platform/logger';
import type { Viewer } from '@learnhub/platform/auth';
import type { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import {
  publishedCourseKey,
  readPublishedEntry,
  rebuildLockKey,
  writeAbsentEntry,
  writePublishedEntry,
  type CachedPublishedCourse,
} from '../publishing/published-course-cache';
import { isPublic } from '@learnhub/contracts/published-course';
import { publishedCourseRecord, type PublishedCourseRecord } from '../publishing/published-course-record';
import { snapshotFor, type ViewedSnapshot } from '../publishing/section-access';

/** A published course as one viewer sees it: paid sections locked unless they may watch them. */
export interface ViewedPublishedCourse extends PublishedCourseRecord {
  content: ViewedSnapshot;
}

/** How long the reader rebuilding an entry may hold the others off, and how they wait for it. */
const REBUILD_LOCK_SECONDS = 5;
const WAIT_STEP_MS = 20;
const WAIT_MAX_MS = 1000;

const visible = (record: PublishedCourseRecord | undefined) => (record && isPublic(record) ? record : undefined);

/**
 * Public reads of published courses: from the cache when it holds them, else from the published
 * record (never the draft). A miss is remembered briefly (penetration), expiries are jittered
 * (avalanche), and one reader rebuilds a missing entry while the others wait for it (breakdown).
 * When the cache fails, reads go to the database: the page stays up.
 */
export class PublishedCourseService {
  constructor(
    private readonly publishing: CoursePublishingRepository,
    private readonly cache: Cache,
    private readonly log: Logger,
  ) {}

  /**
   * The course as published, as `viewer` may see it. The cache holds the whole record whoever
   * reads it: which sections are locked is decided here, for each read.
   */
  async getFor(viewer: Viewer, courseId: string): Promise<ViewedPublishedCourse | undefined> {
    const record = await this.get(courseId);
    return record && { ...record, content: snapshotFor(viewer, record.content) };
  }

  /** The course as published, or undefined when it is not (never published, offline, or no such course). */
  async get(courseId: string): Promise<PublishedCourseRecord | undefined> {
    if (!isRowId(courseId)) return undefined;
    const cached = await this.cached(courseId);
    if (cached) return 'record' in cached ? cached.record : undefined;
    const token = randomUUID();
    if (await this.attempt(() => this.cache.setIfAbsent(rebuildLockKey(courseId), token, REBUILD_LOCK_SECONDS), true)) {
      try {
        return await this.rebuild(courseId);
      } finally {
        await this.attempt(() => this.cache.deleteIfEquals(rebuildLockKey(courseId), token), false);
      }
    }
    for (let waited = 0; waited < WAIT_MAX_MS; waited += WAIT_STEP_MS) {
      await sleep(WAIT_STEP_MS);
      const rebuilt = await this.cached(courseId);
      if (rebuilt) return 'record' in rebuilt ? rebuilt.record : undefined;
    }
    // The rebuilding reader is slow or gone: answer from the database rather than fail.
    return visible(await this.stored(courseId));
  }

  private async rebuild(courseId: string): Promise<PublishedCourseRecord | undefined> {
    const record = await this.stored(courseId);
    const write =
      record && isPublic(record)
        ? () => writePublishedEntry(this.cache, courseId, record)
        : () => writeAbsentEntry(this.cache, courseId, record?.version ?? 0);
    await this.attempt(write, 'stale');
    return visible(record);
  }

  /** The published record whatever its status (an offline one's version fences the cache too). */
  private async stored(courseId: string): Promise<PublishedCourseRecord | undefined> {
    const stored = await this.publishing.published(courseId);
    return stored ? publishedCourseRecord(stored) : undefined;
  }

  private async cached(courseId: string): Promise<CachedPublishedCourse | undefined> {
    return readPublishedEntry(await this.attempt(() => this.cache.get(publishedCourseKey(courseId)), undefined));
  }

  /** A cache call whose failure is logged and answered with `fallback`: the database still answers. */
  private async attempt<T>(call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.log.warn({ err: error }, 'the cache failed; reading from the database');
      return fallback;
    }
  }
}
