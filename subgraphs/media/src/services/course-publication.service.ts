import { badInput, isAppError, type FieldProblem } from '@learnhub/platform/errors';
import { assertBucketName, assertObjectKey } from '@learnhub/platform/object-store';
import type {
  CoursePublicationInput,
  CoursePublicationRepository,
  PublicationOutcome,
} from '../repositories/course-publication.repository';
import { isMd5 } from '../rules/md5';

export const MAX_PUBLIC_MEDIA = 1000;
const COURSE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_STORED_KEY = 512;

/**
 * Content reports each publication of a course (and taking it offline, with no public media):
 * media records which stored objects everyone may open. The newest version wins.
 */
export class CoursePublicationService {
  constructor(private readonly publications: CoursePublicationRepository) {}

  /** Validates a report (every bad field named) and records it unless a newer one is recorded. */
  async report(courseId: string, body: unknown): Promise<PublicationOutcome> {
    return this.publications.apply(publicationOf(courseId, body));
  }
}

/** The report as typed input, or BAD_USER_INPUT naming every field that is wrong. */
export function publicationOf(courseId: string, body: unknown): CoursePublicationInput {
  const fields: FieldProblem[] = [];
  const problem = (field: string, message: string) => fields.push({ field, message });
  const input = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  if (input !== body) problem('body', 'must be a JSON object');

  if (!COURSE_ID.test(courseId)) problem('courseId', 'must be 1 to 64 letters, digits, "_" or "-"');
  const { version, organisationId, page, publicMediaIds } = input;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    problem('version', 'must be a positive integer');
  if (typeof organisationId !== 'string' || organisationId.length < 1 || organisationId.length > 64) {
    problem('organisationId', 'must be a string of 1 to 64 characters');
  }
  const pageObject = (typeof page === 'object' && page !== null ? page : {}) as Record<string, unknown>;
  if (pageObject !== page) problem('page', 'must be an object with bucket and key');
  else {
    const nameProblem = (check: () => void) => {
      try {
        check();
        return undefined;
      } catch (error) {
        if (isAppError(error)) return error.message;
        throw error;
      }
    };
    const bucketProblem =
      typeof pageObject.bucket === 'string'
        ? nameProblem(() => assertBucketName(pageObject.bucket as string))
        : 'must be a string';
    if (bucketProblem) problem('page.bucket', bucketProblem);
    const key = pageObject.key;
    const keyProblem =
      typeof key !== 'string'
        ? 'must be a string'
        : key.length > MAX_STORED_KEY
          ? `must be at most ${MAX_STORED_KEY} characters`
          : nameProblem(() => assertObjectKey(key));
    if (keyProblem) problem('page.key', keyProblem);
  }
  if (!Array.isArray(publicMediaIds)) problem('publicMediaIds', 'must be an array of media ids (MD5 hex)');
  else {
    if (publicMediaIds.length > MAX_PUBLIC_MEDIA)
      problem('publicMediaIds', `must hold at most ${MAX_PUBLIC_MEDIA} ids`);
    const bad = publicMediaIds.findIndex((id) => typeof id !== 'string' || !isMd5(id));
    if (bad >= 0) problem(`publicMediaIds[${bad}]`, 'must be a media id: 32 lower-case hex digits (MD5)');
  }
  if (fields.length > 0) {
    throw badInput(
      `The course publication report is invalid: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}.`,
      {
        reason: 'INVALID_PUBLICATION',
        fields,
      },
    );
  }
  return {
    courseId,
    version: version as number,
    organisationId: organisationId as string,
    page: { bucket: pageObject.bucket as string, key: pageObject.key as string },
    publicMediaIds: publicMediaIds as string[],
  };
}
