import type { CourseDocument } from '@learnhub/contracts/course-index';
import { courseDocuments, fixtureCoverUrl } from '../fixture/course-fixture';

/** Content's course ids are decimal numbers, so ids under this prefix can never be a real course's, and say what they are. */
export const GENERATED_ID_PREFIX = 'generated-';

/** The fixture's generated courses, with ids apart from real ones and cover URLs under this install's PUBLIC_URL. */
export function* generatedCourses(count: number, seed: number, publicUrl: string): Generator<CourseDocument> {
  for (const course of courseDocuments(count, seed, publicUrl)) {
    const id = `${GENERATED_ID_PREFIX}${course.id}`;
    yield { ...course, id, coverUrl: course.coverUrl && fixtureCoverUrl(publicUrl, id) };
  }
}
