import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http';
import { post, send } from '@learnhub/platform/http';
import { REQUEST_ID_HEADER } from '@learnhub/platform/http';
import { AppError, ErrorCode } from '@learnhub/platform/errors';

export type MediaType = 'IMAGE' | 'VIDEO' | 'DOCUMENT';

/** What a linking service (content) needs to know about a media item it links to. */
export interface MediaSummary {
  id: string;
  type: MediaType;
  organisationId: string;
  fileName: string;
}

/** What a page, a completeness check or a search document needs of a linked media item. */
export interface MediaDescription extends MediaSummary {
  /** A URL a browser can open: the transcoded MP4 once there is one. */
  url: string;
  /** Whether a browser can play (or open) it as served. */
  playable: boolean;
  posterUrl?: string;
  durationSeconds?: number;
  /** NONE, PENDING, PROCESSING, SUCCEEDED, FAILED or CANCELLED. */
  transcodeState: string;
}

/** The caller on whose behalf content asks: media applies the caller's own permissions. */
export interface Caller {
  authorization?: string;
  requestId: string;
}

/**
 * What media must know of a course's publication: its page object and which of its media the
 * public may open (cover, teacher photos, preview sections; none while offline). Media applies the
 * newest version it is told of and answers "stale" for an older one.
 */
export interface CourseMediaPublication {
  courseId: string;
  version: number;
  organisationId: string;
  page: { bucket: string; key: string };
  publicMediaIds: readonly string[];
}

/** A port onto the media subgraph, so content's rules can check media without a shared database. */
export interface MediaDirectory {
  find(id: string, caller: Caller): Promise<MediaSummary | undefined>;
  /**
   * Media items a course of `organisationId` links to, by id, in one call; ids that name nothing
   * (in that organisation) are absent. Asked as a service (federation references naming the
   * owner), since the links were checked when they were made.
   */
  describe(ids: readonly string[], organisationId: string, requestId: string): Promise<Map<string, MediaDescription>>;
  /** Tells media which of a course's media the public may open now; "stale" when it knows a newer version. */
  publishCourseMedia(publication: CourseMediaPublication, requestId: string): Promise<'applied' | 'stale'>;
}

const FIND = 'query ContentMediaLookup($id: ID!) { media(id: $id) { id type organisationId fileName } }';
const DESCRIBE = `query ContentMediaDescriptions($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Media { id type fileName url playable posterUrl durationSeconds organisationId transcodeState } }
}`;

interface GraphQLAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Asks the media subgraph over HTTP, with a timeout, carrying the caller's token. */
export class HttpMediaDirectory implements MediaDirectory {
  constructor(
    private readonly mediaUrl: string,
    private readonly gatewaySecret: string | undefined,
    private readonly timeoutMs = 3000,
  ) {}

  async find(id: string, caller: Caller): Promise<MediaSummary | undefined> {
    const body = await this.ask<{ media: MediaSummary | null }>(FIND, { id }, caller);
    return body.data?.media ?? undefined;
  }

  async describe(
    ids: readonly string[],
    organisationId: string,
    requestId: string,
  ): Promise<Map<string, MediaDescription>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const representations = unique.map((id) => ({ __typename: 'Media', id, organisationId }));
    const body = await this.ask<{ _entities: (MediaDescription | null)[] }>(
      DESCRIBE,
      { representations },
      { requestId },
    );
    const found = (body.data?._entities ?? []).filter((item): item is MediaDescription => item !== null);
    return new Map(
      found.map((item) => [
        item.id,
        { ...item, posterUrl: item.posterUrl ?? undefined, durationSeconds: item.durationSeconds ?? undefined },
      ]),
    );
  }

  async publishCourseMedia(
    { courseId, ...publication }: CourseMediaPublication,
    requestId: string,
  ): Promise<'applied' | 'stale'> {
    const url = new URL(`/publications/courses/${encodeURIComponent(courseId)}`, new URL(this.mediaUrl).origin);
    const body = JSON.stringify({
      version: publication.version,
      organisationId: publication.organisationId,
      page: publication.page,
      publicMediaIds: publication.publicMediaIds,
    });
    let response;
    try {
      response = await send('PUT', url, this.headers(requestId), body, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new AppError(ErrorCode.INTERNAL, 'The media service did not answer; try again in a moment.', {
        reason: 'MEDIA_UNREACHABLE',
        cause: error instanceof Error ? error.message : String(error),
      });
    }
    let answer: { outcome?: unknown; errors?: { message?: string }[] } = {};
    try {
      answer = JSON.parse(response.body.toString('utf8')) as typeof answer;
    } catch {
      // Not JSON: reported below with the status.
    }
    if (response.status === 200 && (answer.outcome === 'applied' || answer.outcome === 'stale')) return answer.outcome;
    const said = answer.errors?.[0]?.message ?? `answered ${JSON.stringify(answer.outcome ?? null)}`;
    throw new AppError(
      ErrorCode.INTERNAL,
      `The media service refused the publication of course ${courseId} (HTTP ${response.status}): ${said}`,
      {
        reason: 'MEDIA_PUBLICATION_FAILED',
      },
    );
  }

  private headers(requestId: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', [REQUEST_ID_HEADER]: requestId };
    if (this.gatewaySecret) headers[GATEWAY_SECRET_HEADER] = this.gatewaySecret;
    return headers;
  }

  private async ask<T>(query: string, variables: object, caller: Caller): Promise<GraphQLAnswer<T>> {
    const headers = this.headers(caller.requestId);
    if (caller.authorization) headers.authorization = caller.authorization;
    let body: GraphQLAnswer<T>;
    try {
      const response = await post(this.mediaUrl, headers, JSON.stringify({ query, variables }), {
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = JSON.parse(response.body.toString('utf8')) as GraphQLAnswer<T>;
    } catch (error) {
      throw new AppError(ErrorCode.INTERNAL, 'The media service did not answer; try again in a moment.', {
        reason: 'MEDIA_UNREACHABLE',
        cause: error instanceof Error ? error.message : String(error),
      });
    }
    const failure = body.errors?.[0];
    if (failure && failure.extensions?.code !== 'NOT_FOUND') {
      throw new AppError(ErrorCode.INTERNAL, `The media service refused the lookup: ${failure.message}`, {
        reason: 'MEDIA_LOOKUP_FAILED',
      });
    }
    return body;
  }
}
