import type { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http';
import { REQUEST_ID_HEADER } from '@learnhub/platform/http';
import type { GraphQLError } from 'graphql';
import type { GatewayContext } from './gateway-context';
import { subgraphRefusal } from './subgraph-refusal';
import { subgraphTimeout } from './subgraph-timeout';
import { UploadDataSource, type SubgraphCall } from './upload-data-source';

/** The fetcher's error when a request's signal aborts: only the deadline below aborts one. */
const isAbort = (error: unknown) => (error as { name?: unknown } | null)?.name === 'AbortError';

/**
 * A subgraph as the gateway calls it: the caller's token, the request id and the gateway secret go
 * along, and an operation not answered in full within `timeoutMs` is given up (SUBGRAPH_TIMEOUT).
 */
export class SubgraphDataSource extends UploadDataSource<GatewayContext> {
  constructor(
    call: SubgraphCall,
    private readonly gatewaySecret: string | undefined,
  ) {
    super(call);
    const fetcher = this.fetcher;
    // The signal bounds the answer's body too, which the parent reads after the fetcher returns.
    this.fetcher = (url, init) => fetcher(url, { ...init, signal: AbortSignal.timeout(call.timeoutMs) });
  }

  override didEncounterError(
    ...failure: Parameters<RemoteGraphQLDataSource<GatewayContext>['didEncounterError']>
  ): void {
    if (isAbort(failure[0])) throw subgraphTimeout(this.call.name, this.call.timeoutMs);
    super.didEncounterError(...failure);
  }

  override async errorFromResponse(response: Response): Promise<GraphQLError> {
    const error = await super.errorFromResponse(response);
    return subgraphRefusal(error) ?? error;
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = options.request.http?.headers;
    if (!headers) return;
    if (this.gatewaySecret) headers.set(GATEWAY_SECRET_HEADER, this.gatewaySecret);
    if (!('incomingRequestContext' in options)) return;
    const { authorization, requestId } = options.context;
    if (authorization) headers.set('authorization', authorization);
    headers.set(REQUEST_ID_HEADER, requestId);
  }
}
