import type { EntityManager } from '@mikro-orm/core';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
import { StageState } from '@learnhub/content/entities/outbox-message.entity';
import { renderCoursePage } from '@learnhub/content/publishing/course-page';
import { COURSE_PAGE_BUCKET, coursePageKey } from '@learnhub/content/publishing/course-page-location';
import { snapshotMediaIds } from '@learnhub/content/publishing/course-snapshot';
import { isPublic, publishedCourseRecord, type PublishedCourseRecord } from '@learnhub/content/publishing/published-course-record';
import { CoursePublishingRepository } from '@learnhub/content/repositories/course-publishing.repository';
import type { MediaDirectory } from '@learnhub/content/services/media-directory';
import type { PublishStage, StageOutcome } from './publish-stage';

/** A record changing this often while its page renders is being edited by a loop: fail and retry later. */
const MAX_RENDERS = 5;

/**
 * Stage 1: the static course page in object storage (`mediafiles/course/<id>.html`): the
 * published page, or the offline notice that replaces it. Object stores have no conditional
 * write, so the put happens while the published record's row is held and only when the page
 * does not already show the record's version (see `CoursePublishingRepository.writePage`).
 */
export class CoursePageStage implements PublishStage {
  readonly name = 'page' as const;

  constructor(
    private readonly em: EntityManager,
    private readonly store: ObjectStore,
    private readonly media: MediaDirectory,
  ) {}

  async run(courseId: string, signal: AbortSignal): Promise<StageOutcome> {
    const publishing = new CoursePublishingRepository(this.em.fork());
    for (let render = 0; render < MAX_RENDERS; render++) {
      signal.throwIfAborted();
      const stored = await publishing.published(courseId);
      if (!stored) return { state: StageState.DONE, result: 'nothing is published for this course' };
      if (stored.pageVersion >= stored.version) return { state: StageState.DONE, result: `the page already shows version ${stored.pageVersion}` };
      const record = publishedCourseRecord(stored);
      const html = Buffer.from(await this.render(record), 'utf8');
      const outcome = await publishing.writePage(courseId, record.version, async () => {
        await this.store.put(COURSE_PAGE_BUCKET, coursePageKey(courseId), html, { contentType: 'text/html; charset=utf-8', size: html.length });
      });
      if (outcome === 'written') return { state: StageState.DONE, result: `${isPublic(record) ? 'page' : 'offline page'} written for version ${record.version}` };
      if (outcome === 'current') return { state: StageState.DONE, result: 'the page already shows the current version' };
    }
    throw new Error(`the published record of course ${courseId} kept changing while its page was rendered`);
  }

  private async render(record: PublishedCourseRecord): Promise<string> {
    const mode = isPublic(record) ? 'published' : 'offline';
    const media = mode === 'published' ? await this.media.describe(snapshotMediaIds(record.content), `outbox-page-${record.id}`) : new Map();
    return renderCoursePage({ mode, course: record.content, media, publishedAt: record.publishedAt, version: record.version });
  }
}
