/**
 * A refused request body with a status and a message meant for the client: both
 * graphql-upload-minimal's HttpError and express's body parsers throw errors of this shape.
 */
export interface HttpStatusError extends Error {
  status: number;
  expose: boolean;
  /** A stable id within the code, where the thrower gives one (e.g. MALFORMED_MULTIPART). */
  reason?: string;
}

export function isHttpStatusError(error: unknown): error is HttpStatusError {
  const candidate = error as Partial<HttpStatusError> | undefined;
  return error instanceof Error && typeof candidate?.status === 'number' && candidate.expose === true;
}
