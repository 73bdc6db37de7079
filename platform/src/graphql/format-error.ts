import { DriverException } from '@mikro-orm/core';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, errorCodes, isAppError } from '../errors';
import { isHttpStatusError } from '../http/http-status-error';

// Apollo's own codes for requests the client got wrong all mean "fix your input".
const clientMistakes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export const INTERNAL_MESSAGE =
  'Something went wrong on our side. Try again; if it persists, report the x-request-id response header.';

/** The error a resolver (or anything below it) threw, under however many GraphQL wrappers. */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/** A database driver's error (through MikroORM or straight from pg, mysql2 or better-sqlite3): its message quotes the SQL and the values. */
function isDatabaseError(error: unknown): error is Error & { code?: unknown } {
  if (error instanceof DriverException) return true;
  if (!(error instanceof Error)) return false;
  return error.name === 'SqliteError' || 'sqlMessage' in error || ('severity' in error && 'routine' in error);
}

/** The database error behind `error`, following `cause` (code that wraps a driver's error may quote its message). */
function databaseErrorIn(error: unknown): (Error & { code?: unknown }) | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (isDatabaseError(current)) return current;
  }
  return undefined;
}

/** What development shows of an unexpected error: its message, except a database's, which would carry SQL and data. */
function internalDetail(cause: unknown, message: string): string {
  const error = databaseErrorIn(cause);
  if (!error) return message;
  const code = typeof error.code === 'string' || typeof error.code === 'number' ? ` (${error.code})` : '';
  return `A database error occurred${code}; the statement is in the log under this request's x-request-id.`;
}

/**
 * The one place errors become GraphQL errors: domain errors keep their code and details,
 * client mistakes become BAD_USER_INPUT, anything else is INTERNAL with no internals shown
 * unless `exposeInternals` (development) is set.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  exposeInternals = false,
): GraphQLFormattedError {
  const original = rootCause(error);
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  if (isAppError(original)) {
    return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
  }
  // An upload the body parser refused once the operation had started (too large, cut short).
  if (isHttpStatusError(original) && original.status >= 400 && original.status < 500) {
    const code = original.status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT;
    return {
      ...base,
      message: original.message,
      extensions: { code, ...(original.reason && { reason: original.reason }) },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && clientMistakes.has(code)) {
    return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
  }
  if (typeof code === 'string' && (errorCodes as string[]).includes(code) && code !== ErrorCode.INTERNAL) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...base, extensions: { ...extensions, code } };
  }
  return {
    ...base,
    message: exposeInternals ? internalDetail(original, formatted.message) : INTERNAL_MESSAGE,
    extensions: { code: ErrorCode.INTERNAL },
  };
}
