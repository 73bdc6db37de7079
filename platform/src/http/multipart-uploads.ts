import type { NextFunction, Request, Response } from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import type { Config } from '../config';

/**
 * Once the response is out, discards what is left of a multipart body. When the gateway answers
 * without reading every file (a bad token, a validation error, CSRF), nothing else would read
 * the rest and the client's connection would stay stuck mid-upload.
 */
function discardUnreadBody(req: Request, res: Response, next: NextFunction): void {
  if (req.is('multipart/form-data')) {
    res.once('finish', () => {
      if (req.readableEnded) return;
      req.unpipe();
      req.resume();
    });
  }
  next();
}

/** GraphQL multipart requests (uploads): files become `Upload` values resolvers (or the gateway) stream on. */
export function multipartUploads(limits: Config['limits']) {
  return [
    discardUnreadBody,
    graphqlUploadExpress({ maxFileSize: limits.uploadMaxBytes, maxFiles: limits.uploadMaxFiles }),
  ];
}
