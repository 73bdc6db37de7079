import type { ErrorRequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '@learnhub/platform/errors';
import { INTERNAL_MESSAGE } from '@learnhub/platform/graphql';
import { isHttpStatusError } from '@learnhub/platform/http';

/** PAYLOAD_TOO_LARGE for 413, BAD_USER_INPUT for any other client error; the status goes out as the HTTP status. */
export function requestError(status: number, message: string, reason?: string): GraphQLError {
  const code = status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT;
  return new GraphQLError(message, { extensions: { code, ...(reason && { reason }), http: { status } } });
}

export function fileTooLarge(filename: string, maxBytes: number): GraphQLError {
  return requestError(
    413,
    `The file "${filename}" is larger than the upload limit of ${maxBytes} bytes: ` +
      'upload large files in chunks (uploadChunk, then mergeChunks).',
  );
}

/**
 * Answers errors raised before Apollo sees the request (multipart parsing, JSON parsing) as
 * GraphQL error bodies rather than express's HTML pages.
 */
export const graphqlRequestErrors: ErrorRequestHandler = (error, req, res, _next) => {
  if (isHttpStatusError(error) && error.status >= 400 && error.status < 500) {
    // express.json's own words for a body that is not JSON name the parser, not the fix.
    const malformedJson = (error as { type?: unknown }).type === 'entity.parse.failed';
    const message = malformedJson
      ? 'The request body is not valid JSON: send {"query": "...", "variables": {...}}.'
      : error.message;
    const reason = malformedJson ? 'MALFORMED_JSON' : error.reason;
    const code = requestError(error.status, message).extensions.code;
    res.status(error.status).json({ errors: [{ message, extensions: { code, ...(reason && { reason }) } }] });
    return;
  }
  req.log.error({ err: error }, 'request failed before GraphQL execution');
  res.status(500).json({ errors: [{ message: INTERNAL_MESSAGE, extensions: { code: ErrorCode.INTERNAL } }] });
};
