// The course-index API that content's publishing writes to and search serves.
export { CourseIndexClient } from './course-index-client';
export type { CourseDocument } from './course-document';
export { publishedCourseDocument } from './published-course-document';
export type { WriteOutcome } from './write-outcome';
