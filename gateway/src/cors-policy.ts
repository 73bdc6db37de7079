import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '@learnhub/platform/errors';

const ALLOWED_METHODS = 'GET, POST, PUT, OPTIONS';
const ALLOWED_HEADERS =
  'authorization, content-type, content-md5, apollo-require-preflight, x-apollo-operation-name, range, if-none-match, if-range, x-request-id';
const EXPOSED_HEADERS = 'content-range, accept-ranges, content-length, etag, x-request-id';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

// Development front ends run on any local port.
const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;

/**
 * CORS for browser apps on other origins: the listed origins (and, with `allowLocalhost`, any
 * http://localhost or http://127.0.0.1 origin) get their origin echoed back, preflights are
 * answered here (204), and any other origin gets no CORS headers at all (a preflight 403), so the
 * browser stops it. No credentials: tokens travel in the Authorization header, never cookies.
 */
export function corsPolicy(options: { origins: readonly string[]; allowLocalhost: boolean }) {
  const listed = new Set(options.origins.map((origin) => new URL(origin).origin));
  const allowed = (origin: string) => listed.has(origin) || (options.allowLocalhost && LOCAL_ORIGIN.test(origin));

  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    // Answers differ by origin, so no cache may hand one origin's answer to another.
    res.vary('Origin');
    if (origin === undefined) return next();
    if (!allowed(origin)) {
      if (!preflight) return next();
      const message = `The origin ${origin} may not call this API from a browser: an operator can add it to CORS_ORIGINS.`;
      res
        .status(403)
        .json(
          req.baseUrl === '/graphql'
            ? { errors: [{ message, extensions: { code: ErrorCode.FORBIDDEN } }] }
            : { error: message },
        );
      return;
    }
    res.setHeader('access-control-allow-origin', origin);
    if (preflight) {
      res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
      res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
      res.status(204).end();
      return;
    }
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    next();
  };
}
