import type { Charge, CourseGrade, TeachingMode } from '../published-course/course-enums';

/**
 * One published course as search holds it: everything a result page shows, so rendering hits
 * never touches content. `version` grows with each publish/offline/online of the course; the
 * index keeps the newest version it has seen and ignores older writes.
 */
export interface CourseDocument {
  id: string;
  version: number;
  name: string;
  organisationId: string;
  organisationName: string;
  mt: string;
  mtName: string;
  st: string;
  stName: string;
  grade: CourseGrade;
  teachingMode: TeachingMode;
  tags: string[];
  audience: string;
  description: string;
  coverUrl: string | null;
  charge: Charge;
  /** Exact two-place decimal, "0.00" when free (as content stores money). */
  price: string;
  originalPrice: string | null;
  /** None means a purchase never expires. */
  validDays: number | null;
  /** ISO 8601. */
  publishedAt: string;
}
