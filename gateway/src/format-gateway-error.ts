import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@learnhub/platform/errors';
import { formatError, INTERNAL_MESSAGE } from '@learnhub/platform/graphql';

/**
 * The operation limits' rejections. graphql-armor reports them as "Syntax Error: ..." and
 * Apollo re-codes them GRAPHQL_VALIDATION_FAILED; the token limit is graphql-js's parser's
 * and comes as GRAPHQL_PARSE_FAILED. Each gets a plain message and a `reason` naming the limit.
 */
const limits: { reason: string; pattern: RegExp; message(limit: string, found?: string): string }[] = [
  {
    reason: 'MAX_DEPTH',
    pattern: /Query depth limit of (\d+) exceeded, found (\d+)/,
    message: (limit, found) => `Query depth limit of ${limit} exceeded (found ${found}): ask for fewer nested levels.`,
  },
  {
    reason: 'MAX_ALIASES',
    pattern: /Aliases limit of (\d+) exceeded, found (\d+)/,
    message: (limit, found) => `Alias limit of ${limit} exceeded (found ${found}): use fewer aliases in one operation.`,
  },
  {
    reason: 'MAX_COST',
    pattern: /Query Cost limit of (\d+) exceeded, found (\d+)/,
    message: (limit, found) =>
      `Query cost limit of ${limit} exceeded (found ${found}): ask for fewer fields or smaller pages.`,
  },
  {
    reason: 'MAX_DIRECTIVES',
    pattern: /Directives limit of (\d+) exceeded, found (\d+)/,
    message: (limit, found) =>
      `Directive limit of ${limit} exceeded (found ${found}): use fewer directives in one operation.`,
  },
  {
    reason: 'MAX_TOKENS',
    pattern: /Document contains more tha[nt] (\d+) tokens/,
    message: (limit) => `Token limit of ${limit} exceeded: send a shorter operation.`,
  },
];

function limitExceeded(formatted: GraphQLFormattedError): GraphQLFormattedError | undefined {
  const code = formatted.extensions?.code;
  if (code !== 'GRAPHQL_VALIDATION_FAILED' && code !== 'GRAPHQL_PARSE_FAILED') return undefined;
  for (const { reason, pattern, message } of limits) {
    const match = pattern.exec(formatted.message);
    if (match) return { message: message(match[1], match[2]), extensions: { code: ErrorCode.BAD_USER_INPUT, reason } };
  }
  return undefined;
}

/** A subgraph refused the request body itself (its own upload limit) with HTTP 413. */
function subgraphRefusedPayload(formatted: GraphQLFormattedError): GraphQLFormattedError | undefined {
  const response = formatted.extensions?.response as { status?: unknown } | undefined;
  if (response?.status !== 413) return undefined;
  return {
    message:
      'The service refused the upload as too large (file size or number of files): ' +
      'send fewer files per request, and large files in chunks (uploadChunk, then mergeChunks).',
    path: formatted.path,
    extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE },
  };
}

/**
 * A request Apollo itself refused with a 4xx but no code of its own (e.g. a persisted query whose
 * hash does not match): the client's mistake, not INTERNAL.
 */
function refusedRequest(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | undefined {
  // Apollo codes an error that has none INTERNAL_SERVER_ERROR before formatting.
  const code = formatted.extensions?.code;
  if ((code !== undefined && code !== 'INTERNAL_SERVER_ERROR') || !(error instanceof GraphQLError)) return undefined;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return {
    message: formatted.message,
    extensions: { code: status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT },
  };
}

/**
 * The shared formatter, after turning the gateway's own rejections into the fixed error codes.
 * It never throws (a throwing formatter turns the whole answer into a 500): whatever it cannot
 * read is INTERNAL.
 */
export function formatGatewayError(exposeInternals: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      return (
        limitExceeded(formatted) ??
        subgraphRefusedPayload(formatted) ??
        refusedRequest(formatted, error) ??
        formatError(formatted, error, exposeInternals)
      );
    } catch {
      return { message: INTERNAL_MESSAGE, extensions: { code: ErrorCode.INTERNAL } };
    }
  };
}
