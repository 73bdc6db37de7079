import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, Response } from 'express';
import { mediaRequest, passBack } from './media-request';

const passedOn = ['range', 'if-none-match', 'if-range'];
const passedBack = [
  'content-type',
  'content-length',
  'content-range',
  'content-disposition',
  'accept-ranges',
  'etag',
  'last-modified',
  'cache-control',
  'x-content-type-options',
  'content-security-policy',
  'x-frame-options',
];
/**
 * Every `/files` answer, the gateway's own errors included, forbids the browser to guess a type
 * other than the one declared: an uploaded file must never run as a page of this origin.
 */
export function noSniff(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('x-content-type-options', 'nosniff');
  next();
}

/** A signed file URL's query: the only query media's file route reads. */
const passedQuery = ['expires', 'signature'];

/**
 * `GET /files/*path`, streamed from the media subgraph's `/files/*` (same origin as its GraphQL
 * URL) so one public origin serves both the API and the files. Plain node:http rather than
 * fetch, which would add `cache-control: no-cache` to conditional requests (so no 304s) and
 * decode compressed bodies under their original content-length. Media must answer, and keep
 * sending, within `timeoutMs` (504 when it has not answered by then).
 */
export function filesProxy(mediaUrl: string, gatewaySecret: string | undefined, timeoutMs: number) {
  const origin = new URL(mediaUrl).origin;
  return (req: Request<{ path: string[] }>, res: Response): void => {
    const segments = req.params.path;
    // Re-encoded segment by segment, and never `..`, so a request cannot reach another route of the media service.
    if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      res.status(400).json({ error: 'A file path has no empty, "." or ".." segments.' });
      return;
    }
    const target = new URL(`/files/${segments.map(encodeURIComponent).join('/')}`, origin);
    const query = new URL(req.originalUrl, 'http://gateway').searchParams;
    for (const name of passedQuery) for (const value of query.getAll(name)) target.searchParams.append(name, value);
    const { upstream, timedOut } = mediaRequest(req, res, target, {
      method: req.method,
      passedOn,
      gatewaySecret,
      timeoutMs,
      // A client slow to read holds the file back, and that silence is not media's.
      heldBack: () => res.writableNeedDrain,
      silence: `The file service sent nothing for ${timeoutMs} ms.`,
    });
    upstream.once('response', (response) => {
      passBack(response, res, passedBack);
      // Added to the gateway's own Vary (Origin), not in place of it.
      if (response.headers.vary) res.vary(response.headers.vary);
      res.setHeader('x-content-type-options', 'nosniff');
      // Rejects only when either side goes away mid-file; pipeline has then closed both.
      pipeline(response, res).catch(() => undefined);
    });
    upstream.once('error', (error) => {
      if (res.destroyed) return;
      req.log.warn({ err: error, target: target.href }, 'file proxy failed');
      if (res.headersSent) res.destroy();
      else if (timedOut())
        res
          .status(504)
          .json({ error: `The file service did not answer within ${timeoutMs / 1000} s: try again shortly.` });
      else res.status(502).json({ error: 'The file service did not answer; try again shortly.' });
    });
    upstream.end();
  };
}
