import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http/gateway-secret';
import { REQUEST_ID_HEADER } from '@learnhub/platform/http/request-id';
import { AppError, ErrorCode } from '@learnhub/platform/errors';

export type MediaType = 'IMAGE' | 'VIDEO' | 'DOCUMENT';

/** What content needs to know about a media item it links to. */
export interface MediaSummary {
  id: string;
  type: MediaType;
  organisationId: string;
  fileName: string;
}

/** The caller on whose behalf content asks: media applies the caller's own permissions. */
export interface Caller {
  authorization?: string;
  requestId: string;
}

/** A port onto the media subgraph, so content's rules can check media without a shared database. */
export interface MediaDirectory {
  find(id: string, caller: Caller): Promise<MediaSummary | undefined>;
}

const QUERY = 'query ContentMediaLookup($id: ID!) { media(id: $id) { id type organisationId fileName } }';

/** Asks the media subgraph over HTTP, with a timeout, carrying the caller's token. */
export class HttpMediaDirectory implements MediaDirectory {
  constructor(
    private readonly mediaUrl: string,
    private readonly gatewaySecret: string | undefined,
    private readonly timeoutMs = 3000,
  ) {}

  async find(id: string, caller: Caller): Promise<MediaSummary | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json', [REQUEST_ID_HEADER]: caller.requestId };
    if (caller.authorization) headers.authorization = caller.authorization;
    if (this.gatewaySecret) headers[GATEWAY_SECRET_HEADER] = this.gatewaySecret;
    let body: { data?: { media: MediaSummary | null }; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      const response = await fetch(this.mediaUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: QUERY, variables: { id } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = (await response.json()) as typeof body;
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
    return body.data?.media ?? undefined;
  }
}
