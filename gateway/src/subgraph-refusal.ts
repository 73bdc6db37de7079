import { GraphQLError } from 'graphql';
import { ErrorCode } from '@learnhub/platform/errors';

interface SubgraphErrorBody {
  errors?: { message?: unknown; extensions?: { code?: unknown; reason?: unknown } }[];
}

/**
 * A subgraph's HTTP 400 whose errors all say the input is wrong (a bad date or number the
 * gateway passed on unchecked: its supergraph has no parsers for custom scalars), as the
 * client's mistake with the subgraph's own words, instead of the data source's "400: Bad Request".
 */
export function subgraphRefusal(error: GraphQLError): GraphQLError | undefined {
  const response = error.extensions.response as { status?: unknown; body?: unknown } | undefined;
  if (response?.status !== 400) return undefined;
  const errors = (response.body as SubgraphErrorBody | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  if (!errors.every((e) => typeof e?.message === 'string' && e.extensions?.code === ErrorCode.BAD_USER_INPUT))
    return undefined;
  const reason = errors[0].extensions?.reason;
  return new GraphQLError(errors.map((e) => e.message as string).join(' '), {
    extensions: {
      code: ErrorCode.BAD_USER_INPUT,
      ...(typeof reason === 'string' && { reason }),
      http: { status: 400 },
    },
  });
}
