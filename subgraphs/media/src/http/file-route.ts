import { pipeline } from 'node:stream/promises';
import { isAppError } from '@learnhub/platform/errors';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
import type { Express, Request, Response } from 'express';
import { parseRange } from './byte-range';

function contentType(stored: string): string {
  return stored.startsWith('text/') && !stored.includes('charset') ? `${stored}; charset=utf-8` : stored;
}

/**
 * `GET /files/<bucket>/<key>`: serves stored objects to browsers with ETag, conditional GET and
 * single byte ranges, so video players can seek. Behind the gateway's `/files` proxy.
 */
export function mountFileRoute(app: Express, store: ObjectStore): void {
  app.get('/files/:bucket/*key', async (req: Request, res: Response) => {
    const bucket = String(req.params.bucket);
    const key = ([] as string[]).concat(req.params.key as string | string[]).join('/');
    try {
      const info = await store.stat(bucket, key);
      if (!info) {
        res.status(404).type('text/plain').send('No such file.');
        return;
      }
      const etag = `"${info.etag}"`;
      res.setHeader('etag', etag);
      res.setHeader('last-modified', info.lastModified.toUTCString());
      res.setHeader('accept-ranges', 'bytes');
      res.setHeader('cache-control', 'public, max-age=3600');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('content-type', contentType(info.contentType));
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      const ifRange = req.headers['if-range'];
      const range = ifRange && ifRange !== etag ? { kind: 'none' as const } : parseRange(req.headers.range, info.size);
      if (range.kind === 'unsatisfiable') {
        res.status(416).setHeader('content-range', `bytes */${info.size}`).end();
        return;
      }
      if (range.kind === 'range') {
        res.status(206);
        res.setHeader('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
        res.setHeader('content-length', String(range.end - range.start + 1));
        await pipeline(await store.get(bucket, key, { start: range.start, end: range.end }), res);
        return;
      }
      res.setHeader('content-length', String(info.size));
      await pipeline(await store.get(bucket, key), res);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (isAppError(error) && (error.code === 'BAD_USER_INPUT' || error.code === 'NOT_FOUND')) {
        res.status(error.code === 'NOT_FOUND' ? 404 : 400).type('text/plain').send(error.message);
        return;
      }
      req.log.error({ err: error, bucket, key }, 'file route failed');
      res.status(500).type('text/plain').send('The file could not be read; try again.');
    }
  });
}
