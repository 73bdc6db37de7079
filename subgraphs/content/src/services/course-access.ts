import { forbidden, notFound } from '@learnhub/platform/errors';
import { canReadOrganisation, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import type { Course } from '../entities/course.entity';

/**
 * Who may see and change a course. Another organisation's course is NOT_FOUND, never FORBIDDEN,
 * so nobody learns which course ids exist; auditors and admins read every course but only the
 * owning organisation's members change it.
 */
export function assertCanRead(viewer: Viewer, course: Course | null, id: string): asserts course is Course {
  requireSignedIn(viewer);
  if (!course || !canReadOrganisation(viewer, course.organisationId)) throw notFound('Course', id);
}

export function assertCanWrite(viewer: Viewer, course: Course | null, id: string): asserts course is Course {
  assertCanRead(viewer, course, id);
  if (viewer.organisationId !== course.organisationId || !viewer.roles.includes('member')) {
    throw forbidden(`Only members of organisation ${course.organisationId} may change course ${id}.`);
  }
}
