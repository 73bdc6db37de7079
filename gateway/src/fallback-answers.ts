import type { ErrorRequestHandler, Request, Response } from 'express';
import { ErrorCode } from '@learnhub/platform/errors';
import { INTERNAL_MESSAGE } from '@learnhub/platform/graphql';
import { isHttpStatusError } from '@learnhub/platform/http';

/** GraphQL's error shape under /graphql, `{ error }` everywhere else (files, health). */
function answer(req: Request, res: Response, status: number, message: string, code: string): void {
  if (req.originalUrl.startsWith('/graphql')) res.status(status).json({ errors: [{ message, extensions: { code } }] });
  else res.status(status).json({ error: message });
}

/** Whatever no route took: JSON, not express's HTML page. */
export function notFound(req: Request, res: Response): void {
  answer(
    req,
    res,
    404,
    `Nothing at ${req.method} ${req.path}: the API is POST /graphql, files are GET /files/<key>.`,
    ErrorCode.NOT_FOUND,
  );
}

/** The last word on an error no route answered (a malformed URL, say): JSON, and a 4xx when it is the client's. */
export const requestFailed: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (isHttpStatusError(error) && error.status >= 400 && error.status < 500) {
    answer(
      req,
      res,
      error.status,
      error.message,
      error.status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT,
    );
    return;
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    answer(req, res, status, 'The request could not be read: check its URL and headers.', ErrorCode.BAD_USER_INPUT);
    return;
  }
  req.log.error({ err: error }, 'request failed');
  answer(req, res, 500, INTERNAL_MESSAGE, ErrorCode.INTERNAL);
};
