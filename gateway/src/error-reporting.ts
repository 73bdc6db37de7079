import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@learnhub/platform/errors';
import type { Metrics } from '@learnhub/platform/http';
import type { GatewayContext } from './gateway-context';

/**
 * What the formatter is given for an error. The gateway's executor hands back errors from a
 * failed subgraph call as plain objects (already formatted), not GraphQLErrors.
 */
function formattedOf(error: unknown): GraphQLFormattedError {
  if (error instanceof GraphQLError) return error.toJSON();
  const { message, path, extensions } = (error ?? {}) as Partial<GraphQLFormattedError>;
  return {
    message: typeof message === 'string' ? message : String(error),
    ...(Array.isArray(path) && { path }),
    ...(extensions !== null && typeof extensions === 'object' && { extensions }),
  };
}

/**
 * Counts errors by the code the client will see, and logs the unexpected ones with the request
 * id before formatting hides them (the client is told to report that id). Never throws: a
 * failure here would turn the client's answer into a 500.
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
            try {
              const code = String(format(formattedOf(error), error).extensions?.code ?? ErrorCode.INTERNAL);
              metrics.graphqlErrors.inc({ code });
              if (code === ErrorCode.INTERNAL) {
                const cause = error instanceof GraphQLError ? (error.originalError ?? error) : error;
                contextValue?.log?.error({ err: cause, path: (error as { path?: unknown }).path }, 'unexpected error');
              }
            } catch (failure) {
              contextValue?.log?.error({ err: failure }, 'error reporting failed');
            }
          }
        },
      };
    },
  };
}
