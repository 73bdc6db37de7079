/** A course that shows a media item to learners, or is about to. */
export interface CourseUse {
  id: string;
  name: string;
  state: 'PUBLISHED' | 'SUBMITTED' | 'APPROVED';
}

/**
 * Which of an organisation's courses use a media item in their published or pending snapshot.
 * Courses live in the content service, so this asks it; an unanswered question rejects.
 */
export interface CourseUsage {
  coursesUsing(mediaId: string, organisationId: string): Promise<CourseUse[]>;
}
