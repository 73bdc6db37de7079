import { snapshotMediaIds } from '../publishing/course-snapshot';
import { publishedCourseRecord, type PublishedCourseRecord } from '../publishing/published-course-record';
import type { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import type { MediaDescription, MediaDirectory } from '@learnhub/media/client';
import type { PublishMessage } from './publish-stage';

/** The shared reads of one message's stages: the published record and its media, each asked once. */
export function publishMessage(
  courseId: string,
  publishing: CoursePublishingRepository,
  media: MediaDirectory,
): PublishMessage {
  let record: Promise<PublishedCourseRecord | undefined> | undefined;
  let described: Promise<ReadonlyMap<string, MediaDescription>> | undefined;
  const read = async () => {
    const stored = await publishing.published(courseId);
    return stored ? publishedCourseRecord(stored) : undefined;
  };
  const message: PublishMessage = {
    courseId,
    record: (reread = false) => {
      if (reread || !record) {
        record = read();
        described = undefined;
      }
      return record;
    },
    media: () =>
      (described ??= message
        .record()
        .then((current) =>
          current
            ? media.describe(snapshotMediaIds(current.content), current.content.organisationId, `outbox-${courseId}`)
            : new Map(),
        )),
  };
  return message;
}
