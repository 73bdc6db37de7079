import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http/gateway-secret';
import { REQUEST_ID_HEADER } from '@learnhub/platform/http/request-id';
import type { GraphQLError } from 'graphql';
import type { GatewayContext } from './gateway-context';
import { subgraphRefusal } from './subgraph-refusal';
import { UploadDataSource } from './upload-data-source';

/** A subgraph as the gateway calls it: the caller's token, the request id and the gateway secret go along. */
export class SubgraphDataSource extends UploadDataSource<GatewayContext> {
  constructor(
    url: string,
    maxFileBytes: number,
    private readonly gatewaySecret: string | undefined,
  ) {
    super(url, maxFileBytes);
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
