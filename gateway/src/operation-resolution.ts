import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import { ErrorCode } from '@learnhub/platform/errors';

const refused = (message: string, reason: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, reason, http: { status: 400 } } });

/**
 * Refuses, as the client's mistake (400 BAD_USER_INPUT), an operation the gateway cannot pick or
 * run: several operations without `operationName`, an unknown `operationName`, a subscription.
 * Apollo leaves these to the executor, and the gateway's executor throws plain errors (500 INTERNAL).
 */
export function operationResolution(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) {
            const operations = document.definitions.filter(
              (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
            );
            const names = operations.map((o) => o.name?.value ?? '(anonymous)').join(', ');
            if (operations.length === 0)
              throw refused('The document has no operation: send a query or a mutation.', 'NO_OPERATION');
            if (request.operationName) {
              throw refused(
                `The document has no operation named "${request.operationName}"; it has: ${names}.`,
                'UNKNOWN_OPERATION_NAME',
              );
            }
            throw refused(
              `The document has ${operations.length} operations (${names}): name the one to run in "operationName".`,
              'OPERATION_NAME_REQUIRED',
            );
          }
          if (operation.operation === 'subscription') {
            throw refused('Subscriptions are not supported: send a query or a mutation.', 'SUBSCRIPTION_NOT_SUPPORTED');
          }
        },
      };
    },
  };
}
