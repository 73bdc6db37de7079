import { dirname } from 'node:path';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { Logger } from '@learnhub/platform/logger';

/** The console's own page addresses (its routes in web/src/app.tsx); anything else keeps the JSON 404. */
const CONSOLE_PAGES = /^\/(?:sign-in|media|admin|audit|authoring(?:\/[^/]+)?|courses\/[^/]+)?$/;

// Pages run their own scripts only (and WebAssembly for the upload hasher); images, video and chunk uploads may use the object store's origin.
// Inline styles are allowed for the course pages an auditor reads in a sandboxed frame, which inherits this policy.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  'img-src * data: blob:',
  'media-src * blob:',
  'connect-src *',
  'frame-src *',
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function siteRoot(): string | undefined {
  try {
    return dirname(require.resolve('@learnhub/web/site/index.html'));
  } catch {
    return undefined;
  }
}

function pageHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'same-origin');
}

/**
 * The web console at `/`: its built files, and its page for each of its addresses a browser asks
 * for (the console routes in the page). Absent, with a warning, when `@learnhub/web` is not built.
 */
export function webConsole(logger: Logger): Router {
  const router = Router();
  const root = siteRoot();
  if (!root) {
    logger.warn('the web console is not built (npm run build): / serves nothing');
    return router;
  }
  // Asset names carry a hash of their contents, so they never change under one name.
  router.use(
    '/assets',
    express.static(`${root}/assets`, { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  router.get(/.*/, (req: Request, res: Response, next: NextFunction) => {
    if (!CONSOLE_PAGES.test(req.path) || !req.accepts('html')) return next();
    pageHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('index.html', { root }, (error) => error && next(error));
  });
  return router;
}
