import { pipeline } from 'node:stream/promises';
import { isAppError } from '@learnhub/platform/errors';
import { assertBucketName, assertObjectKey } from '@learnhub/platform/object-store';
import type { ObjectStore } from '@learnhub/platform/object-store';
import type { FileUrlSigner } from '@learnhub/platform/object-store';
import type { Express, Request, Response } from 'express';
import { parseRange } from './byte-range';

/** Who may open which stored object: signed URLs open anything they were signed for, plain ones only public objects. */
export interface FileAccess {
  signer: FileUrlSigner;
  /** Whether a published course made the object public (its page, or media it shows). */
  isPublic(bucket: string, key: string): Promise<boolean>;
}

const PUBLIC_MAX_AGE_SECONDS = 3600;
const REFUSED = 'This file link is missing its signature, was altered or has expired: ask the API for a fresh URL.';
/**
 * Stored HTML (course pages) may show styles, images and media, and never run a script, be framed
 * or post a form: an uploaded document rendered as a page gets no power over the site.
 */
export const HTML_CONTENT_SECURITY_POLICY =
  "default-src 'none'; img-src 'self' https: data:; media-src 'self' https:; style-src 'self' 'unsafe-inline'; " +
  "font-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function contentType(stored: string): string {
  return stored.startsWith('text/') && !stored.includes('charset') ? `${stored}; charset=utf-8` : stored;
}

/**
 * `GET /files/<bucket>/<key>` (and HEAD): serves stored objects to browsers with ETag, conditional
 * GET and single byte ranges, so video players can seek. A URL signed for the object (and not
 * expired) opens it privately; without one only public objects open; anything else is 403, before
 * the object is even looked up, so a refusal says nothing about what exists. Behind the gateway's
 * `/files` proxy.
 */
export function mountFileRoute(app: Express, store: ObjectStore, access: FileAccess): void {
  app.get('/files/:bucket/*key', async (req: Request, res: Response) => {
    const bucket = String(req.params.bucket);
    const key = ([] as string[]).concat(req.params.key as string | string[]).join('/');
    res.setHeader('x-content-type-options', 'nosniff');
    try {
      // Names no object can have (a NUL, a `..` segment) are refused before they reach a query.
      assertBucketName(bucket);
      assertObjectKey(key);
      const signed = access.signer.check(bucket, key, req.query.expires, req.query.signature);
      let cacheControl: string;
      if (signed.valid)
        cacheControl = `private, max-age=${Math.max(0, signed.expires - Math.floor(Date.now() / 1000))}`;
      else if (await access.isPublic(bucket, key)) cacheControl = `public, max-age=${PUBLIC_MAX_AGE_SECONDS}`;
      else {
        res.status(403).json({ error: REFUSED });
        return;
      }
      const info = await store.stat(bucket, key);
      if (!info) {
        res.status(404).json({ error: 'No such file.' });
        return;
      }
      const etag = `"${info.etag}"`;
      const type = contentType(info.contentType);
      res.setHeader('etag', etag);
      res.setHeader('last-modified', info.lastModified.toUTCString());
      res.setHeader('accept-ranges', 'bytes');
      res.setHeader('cache-control', cacheControl);
      res.setHeader('content-type', type);
      if (/^text\/html\b/i.test(type)) {
        res.setHeader('content-security-policy', HTML_CONTENT_SECURITY_POLICY);
        res.setHeader('x-frame-options', 'DENY');
      }
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      const ifRange = req.headers['if-range'];
      const range = ifRange && ifRange !== etag ? { kind: 'none' as const } : parseRange(req.headers.range, info.size);
      if (range.kind === 'unsatisfiable') {
        for (const header of ['content-type', 'content-security-policy', 'x-frame-options']) res.removeHeader(header);
        res
          .status(416)
          .setHeader('content-range', `bytes */${info.size}`)
          .json({
            error: `The range starts past the end of the file (${info.size} bytes): ask for bytes 0 to ${info.size - 1}.`,
          });
        return;
      }
      const head = req.method === 'HEAD';
      if (range.kind === 'range') {
        res.status(206);
        res.setHeader('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
        res.setHeader('content-length', String(range.end - range.start + 1));
        if (head) res.end();
        else await pipeline(await store.get(bucket, key, { start: range.start, end: range.end }), res);
        return;
      }
      res.setHeader('content-length', String(info.size));
      if (head) res.end();
      else await pipeline(await store.get(bucket, key), res);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const name of [
        'etag',
        'last-modified',
        'accept-ranges',
        'cache-control',
        'content-type',
        'content-security-policy',
        'x-frame-options',
      ]) {
        res.removeHeader(name);
      }
      if (isAppError(error) && (error.code === 'BAD_USER_INPUT' || error.code === 'NOT_FOUND')) {
        res.status(error.code === 'NOT_FOUND' ? 404 : 400).json({ error: error.message });
        return;
      }
      req.log.error({ err: error, bucket, key }, 'file route failed');
      res.status(500).json({ error: 'The file could not be read; try again.' });
    }
  });
}
