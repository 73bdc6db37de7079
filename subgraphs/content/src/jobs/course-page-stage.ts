import type { EntityManager } from '@mikro-orm/core';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { StageState } from '../entities/outbox-message.entity';
import { renderCoursePage } from '../publishing/course-page';
import { COURSE_PAGE_BUCKET, coursePageKey } from '../publishing/course-page-location';
import { snapshotPublicMediaIds } from '../publishing/course-snapshot';
import { isPublic } from '@learnhub/contracts/published-course';
import type { PublishedCourseRecord } from '../publishing/published-course-record';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import type { CourseMediaPublication, MediaDirectory } from '@learnhub/media/client';
import type { PublishMessage, PublishStage, StageOutcome } from './publish-stage';

/** A record changing this often while its page renders is being edited by a loop: fail and retry later. */
const MAX_RENDERS = 5;

/**
 * Stage 1: the static course page in object storage (`mediafiles/course/<id>.html`): the
 * published page, or the offline notice that replaces it. Object stores have no conditional
 * write, so the put happens while the published record's row is held and only when the page
 * does not already show the record's version (see `CoursePublishingRepository.writePage`).
 * Before rendering, media is told which of the course's media the public may open at this
 * version (none while offline), so the page links public media by plain, lasting URLs.
 */
export class CoursePageStage implements PublishStage {
  readonly name = 'page' as const;

  constructor(
    private readonly em: EntityManager,
    private readonly store: ObjectStore,
    private readonly media: MediaDirectory,
  ) {}

  async run(message: PublishMessage, signal: AbortSignal): Promise<StageOutcome> {
    const publishing = new CoursePublishingRepository(this.em.fork());
    for (let render = 0; render < MAX_RENDERS; render++) {
      signal.throwIfAborted();
      const record = await message.record(render > 0);
      if (!record) return { state: StageState.DONE, result: 'nothing is published for this course' };
      const published = isPublic(record);
      // Before `message.media()` is first asked: media describes public items by plain URLs only once it knows they are public.
      await this.media.publishCourseMedia(publication(record), `outbox-${message.courseId}`);
      const html = Buffer.from(
        renderCoursePage({
          mode: published ? 'published' : 'offline',
          course: record.content,
          media: published ? await message.media() : new Map(),
          publishedAt: record.publishedAt,
          version: record.version,
        }),
        'utf8',
      );
      const outcome = await publishing.writePage(message.courseId, record.version, async () => {
        await this.store.put(COURSE_PAGE_BUCKET, coursePageKey(message.courseId), html, {
          contentType: 'text/html; charset=utf-8',
          size: html.length,
        });
      });
      if (outcome === 'written')
        return {
          state: StageState.DONE,
          result: `${published ? 'page' : 'offline page'} written for version ${record.version}`,
        };
      if (outcome === 'current')
        return { state: StageState.DONE, result: 'the page already shows the current version' };
    }
    throw new Error(`the published record of course ${message.courseId} kept changing while its page was rendered`);
  }
}

/** What media is told of a record: its page object and, while it is published, its public media. */
const publication = (record: PublishedCourseRecord): CourseMediaPublication => ({
  courseId: record.id,
  version: record.version,
  organisationId: record.content.organisationId,
  page: { bucket: COURSE_PAGE_BUCKET, key: coursePageKey(record.id) },
  publicMediaIds: isPublic(record) ? snapshotPublicMediaIds(record.content) : [],
});
