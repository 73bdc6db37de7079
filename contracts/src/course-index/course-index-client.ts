import { AppError, ErrorCode } from '@learnhub/platform/errors';
import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http';
import { send } from '@learnhub/platform/http';
import type { CourseDocument } from './course-document';
import type { WriteOutcome } from './write-outcome';

/**
 * Calls the search service's indexing API (what the publish outbox uses). A refused document
 * throws BAD_USER_INPUT (retrying cannot help); anything else throws a plain Error (retry).
 */
export class CourseIndexClient {
  constructor(
    /** The search subgraph's GraphQL URL (SEARCH_URL); the indexing API lives beside it. */
    private readonly searchUrl: string,
    private readonly gatewaySecret?: string,
  ) {}

  upsert(document: CourseDocument): Promise<WriteOutcome> {
    return this.call('PUT', `/index/courses/${encodeURIComponent(document.id)}`, JSON.stringify(document));
  }

  remove(id: string, version: number): Promise<WriteOutcome> {
    return this.call('DELETE', `/index/courses/${encodeURIComponent(id)}?version=${version}`);
  }

  private async call(method: string, path: string, body?: string): Promise<WriteOutcome> {
    const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
    if (this.gatewaySecret) headers[GATEWAY_SECRET_HEADER] = this.gatewaySecret;
    const response = await send(method, new URL(path, this.searchUrl), headers, body, {
      signal: AbortSignal.timeout(30_000),
    });
    let answer: { outcome?: WriteOutcome; error?: { code?: string; message?: string; fields?: [] } } = {};
    try {
      answer = JSON.parse(response.body.toString('utf8'));
    } catch {
      // Not JSON (a proxy's error page, say): the status tells what happened.
    }
    if (response.status >= 200 && response.status < 300 && answer.outcome) return answer.outcome;
    const message = answer.error?.message ?? `the search service answered HTTP ${response.status}`;
    if (response.status === 400)
      throw new AppError(ErrorCode.BAD_USER_INPUT, message, { fields: answer.error?.fields ?? [] });
    throw new Error(`Indexing ${method} ${path} failed: ${message}`);
  }
}
