/** Where a course's static page lives in object storage (not a media library entry). */
export const COURSE_PAGE_BUCKET = 'mediafiles';

export const coursePageKey = (courseId: string) => `course/${courseId}.html`;
