import { Charge, CourseGrade, PublishStatus, TeachingMode } from './course-enums';

/** The selling terms of a published course, as its snapshot holds them. */
export interface PublishedCourseMarket {
  charge: Charge;
  /** Exact two-place decimal, "0.00" when free. */
  price: string;
  originalPrice?: string;
  /** None means a purchase never expires. */
  validDays?: number;
}

/**
 * The parts of a published course's snapshot that readers outside content rely on; content's
 * snapshot holds more (the plan, the teachers), which they must not depend on.
 */
export interface PublishedCourseContent {
  id: string;
  organisationId: string;
  name: string;
  audience: string;
  /** One line, as people typed it; `courseTags` splits it. */
  tags?: string;
  /** Major and minor category ids (such as 1-3 and 1-3-2), with their names when published. */
  mt: string;
  mtName: string;
  st: string;
  stName: string;
  grade: CourseGrade;
  teachingMode: TeachingMode;
  description?: string;
  coverMediaId?: string;
  market?: PublishedCourseMarket;
}

/**
 * A published record as the public reads it and as the cache holds it (times as ISO 8601).
 * `version` grows with every publish, offline and online; the newest version wins everywhere.
 */
export interface PublishedCourseRecord<Content extends PublishedCourseContent = PublishedCourseContent> {
  id: string;
  version: number;
  status: PublishStatus;
  publishedAt: string;
  onlineAt?: string;
  offlineAt?: string;
  content: Content;
}

export const isPublic = (record: PublishedCourseRecord) => record.status === PublishStatus.PUBLISHED;
