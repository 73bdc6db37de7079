/** The fixed set of error codes every GraphQL response may carry in `extensions.code`. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorCodes: readonly ErrorCode[] = Object.values(ErrorCode);

/** A field-level problem with the input, so a form can show it next to the field. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * A domain error: services throw these, and one formatter maps them to GraphQL errors.
 * `reason` is a stable, finer-grained id within a code (e.g. CHUNK_CHECKSUM_MISMATCH).
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { reason?: string; fields?: FieldProblem[]; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badInput = (message: string, details?: AppError['details']) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, details);
export const unauthenticated = (message = 'Sign in first: send a valid token as "Authorization: Bearer <jwt>".') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string, id: string | number) =>
  new AppError(ErrorCode.NOT_FOUND, `${what} ${id} does not exist or is not visible to you.`);
export const conflict = (message: string, details?: AppError['details']) =>
  new AppError(ErrorCode.CONFLICT, message, details);
export const payloadTooLarge = (message: string) => new AppError(ErrorCode.PAYLOAD_TOO_LARGE, message);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
