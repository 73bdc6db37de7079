import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http';
import { send } from '@learnhub/platform/http';
import type { CourseUse, CourseUsage } from '../services/course-usage';

const TIMEOUT_MS = 3000;
const STATES = new Set(['PUBLISHED', 'SUBMITTED', 'APPROVED']);

/** Asks content's `GET /media-usage/<mediaId>?organisationId=<org>` (content's origin, behind the gateway secret). */
export class HttpCourseUsage implements CourseUsage {
  private readonly origin: string;

  /** `contentUrl` is content's GraphQL URL (CONTENT_URL); its origin serves the usage route. */
  constructor(
    contentUrl: string,
    private readonly gatewaySecret: string | undefined,
  ) {
    this.origin = new URL(contentUrl).origin;
  }

  async coursesUsing(mediaId: string, organisationId: string): Promise<CourseUse[]> {
    const url = new URL(`/media-usage/${encodeURIComponent(mediaId)}`, this.origin);
    url.searchParams.set('organisationId', organisationId);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.gatewaySecret) headers[GATEWAY_SECRET_HEADER] = this.gatewaySecret;
    const response = await send('GET', url, headers, undefined, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.status !== 200)
      throw new Error(`${url.href} answered ${response.status}: ${response.body.toString('utf8').slice(0, 200)}`);
    const courses = (JSON.parse(response.body.toString('utf8')) as { courses?: unknown }).courses;
    if (!Array.isArray(courses) || !courses.every(isCourseUse))
      throw new Error(`${url.href} answered without a list of courses.`);
    return courses.map(({ id, name, state }) => ({ id: String(id), name, state }));
  }
}

function isCourseUse(value: unknown): value is CourseUse {
  if (typeof value !== 'object' || value === null) return false;
  const { id, name, state } = value as Record<string, unknown>;
  return (
    (typeof id === 'string' || typeof id === 'number') &&
    typeof name === 'string' &&
    typeof state === 'string' &&
    STATES.has(state)
  );
}
