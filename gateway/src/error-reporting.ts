import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@learnhub/platform/errors';
import type { Metrics } from '@learnhub/platform/http/metrics';
import type { GatewayContext } from './gateway-context';

/**
 * Counts errors by the code the client will see, and logs the unexpected ones with the request
 * id before formatting hides them (the client is told to report that id).
 */
export function errorReporting(
  metrics: Metrics,
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = String(format(error.toJSON(), error).extensions?.code ?? ErrorCode.INTERNAL);
            metrics.graphqlErrors.inc({ code });
            if (code === ErrorCode.INTERNAL) contextValue.log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
          }
        },
      };
    },
  };
}
