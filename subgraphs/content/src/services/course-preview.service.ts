import type { Viewer } from '@learnhub/platform/auth';
import type { MediaDirectory } from '@learnhub/media/client';
import type { CourseRepository } from '../repositories/course.repository';
import type { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { renderCoursePage } from '../publishing/course-page';
import { snapshotMediaIds, type CourseSnapshot } from '../publishing/course-snapshot';
import { assertCanRead } from './course-access';
import { assembleCourse } from './course-assembler';
import { courseView, type CourseView } from './course.service';

/**
 * Course pages for people who may see a course before the public does (its organisation,
 * auditors, admins): the draft as it stands, or a submitted snapshot, rendered from the same
 * template as the published page, with each section's media resolved to its playable URL.
 */
export class CoursePreviewService {
  constructor(
    private readonly courses: CourseRepository,
    private readonly publishing: CoursePublishingRepository,
    private readonly media: MediaDirectory,
  ) {}

  /** The draft assembled and rendered. */
  async preview(viewer: Viewer, requestId: string, courseId: string): Promise<{ html: string; course: CourseView }> {
    const course = await this.courses.byId(courseId);
    assertCanRead(viewer, course, courseId);
    const snapshot = await assembleCourse(this.publishing.em, course);
    return { html: await this.render(snapshot, requestId), course: courseView(course) };
  }

  /** A snapshot (one already checked readable by the caller) rendered as a preview. */
  async render(snapshot: CourseSnapshot, requestId: string): Promise<string> {
    const media = await this.media.describe(snapshotMediaIds(snapshot), snapshot.organisationId, requestId);
    return renderCoursePage({ mode: 'preview', course: snapshot, media });
  }
}
