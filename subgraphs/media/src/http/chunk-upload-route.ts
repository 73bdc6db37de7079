import { PassThrough } from 'node:stream';
import { ErrorCode, isAppError } from '@learnhub/platform/errors';
import { requestSignal, requireGatewaySecret } from '@learnhub/platform/http';
import type { Logger } from '@learnhub/platform/logger';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { UploadSessionService } from '../services/upload-session.service';

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
};

/**
 * `PUT /uploads/<token>`: one chunk's raw bytes, sent to the URL chunkUploadUrls gave when the
 * object store takes no bytes from clients (behind the gateway's `/uploads` proxy). The token is
 * the whole authority (no sign-in); the body streams into the store as an uploadChunk chunk does.
 * Answers `200 {"index","chunkMd5","size"}`, or `{"error":{"code","reason","message"}}` with 403
 * (altered, expired or foreign URL), 400 (damaged or wrong-sized body), 409 (upload not open).
 */
export function mountChunkUploadRoute(
  app: Express,
  uploads: (log: Logger) => UploadSessionService,
  gatewaySecret: string | undefined,
): void {
  const guard: RequestHandler[] = gatewaySecret ? [requireGatewaySecret(gatewaySecret)] : [];
  app.put('/uploads/:token', ...guard, async (req: Request, res: Response) => {
    const length = req.headers['content-length'];
    const contentMd5 = req.headers['content-md5'];
    // The store reads a copy of the body: when it stops early (a refusal) it ends the copy, never the connection.
    const body = new PassThrough();
    req.pipe(body);
    // pipe() ends the copy only when the body ends whole: a sender that went away must fail it, or the chunk's write (and its turn) waits forever.
    req.once('close', () => {
      if (!req.complete) body.destroy(new Error('The connection closed before the whole chunk arrived.'));
    });
    // What is left of a refused body is read and dropped, so the client can finish sending and read the answer; the gateway has capped the body at a chunk.
    res.once('finish', () => {
      if (req.complete) return;
      req.unpipe(body);
      req.resume();
    });
    try {
      const stored = await uploads(req.log).uploadChunkByUrl(
        {
          token: String(req.params.token),
          stream: body,
          length: length === undefined ? undefined : Number(length),
          contentMd5: typeof contentMd5 === 'string' ? contentMd5.trim() : undefined,
        },
        requestSignal(req, res),
      );
      res.status(200).json(stored);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = isAppError(error) ? STATUS[error.code] : undefined;
      if (isAppError(error) && status) {
        res.status(status).json({
          error: { code: error.code, reason: error.details.reason ?? null, message: error.message },
        });
        return;
      }
      req.log.error({ err: error }, 'chunk upload route failed');
      res.status(500).json({
        error: {
          code: ErrorCode.INTERNAL,
          reason: null,
          message: 'The chunk could not be stored; send it again (quote the x-request-id header if it keeps failing).',
        },
      });
    }
  });
}
