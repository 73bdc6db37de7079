import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import { GraphQLError } from 'graphql';
import { viewerFromRequest } from '@learnhub/platform/auth';
import type { TokenVerifier } from '@learnhub/platform/auth';
import { isAppError } from '@learnhub/platform/errors';
import type { Logger } from '@learnhub/platform/logger';

/** What the gateway keeps per request: what it forwards to subgraphs, and the request's logger. */
export type GatewayContext = {
  requestId: string;
  log: Logger;
  authorization?: string;
};

/**
 * Builds the context, refusing a bad token with 401 before the operation is planned, so no
 * subgraph is called on behalf of a caller who is not who they claim (subgraphs verify again).
 */
export function gatewayContext(verifier: TokenVerifier) {
  return async ({ req }: ExpressContextFunctionArgument): Promise<GatewayContext> => {
    try {
      await viewerFromRequest(req.headers.authorization, verifier);
    } catch (error) {
      if (!isAppError(error)) throw error;
      throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
    }
    return { requestId: req.id, log: req.log, authorization: req.headers.authorization };
  };
}
