import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { ErrorCode } from '@learnhub/platform/errors';
import { mediaRequest, passBack } from './media-request';

const passedOn = ['content-length', 'content-md5', 'content-type'];
const passedBack = ['content-type', 'content-length'];
/** Media's tokens are base64url with one dot, and far shorter than this. */
const TOKEN = /^[A-Za-z0-9_.-]{1,1024}$/;

function refuse(res: Response, status: number, code: string, reason: string, message: string): void {
  res.status(status).json({ error: { code, reason, message } });
}

/**
 * Reads and drops what is left of a refused body, so the client, still sending, gets to read the
 * answer (many clients fail the whole request when the line closes under an upload); past
 * `limit` more bytes the connection is cut instead.
 */
function discardRest(req: Request, limit: number): void {
  if (req.complete) return;
  let dropped = 0;
  req.unpipe();
  req.on('data', (piece: Buffer) => {
    dropped += piece.length;
    if (dropped > limit) req.socket.destroy();
  });
  req.resume();
}

/**
 * `PUT /uploads/<token>`: a chunk's raw bytes, piped unread to media's `PUT /uploads/<token>`
 * (the URL chunkUploadUrls gives when the object store takes no bytes from clients). Plain
 * node:http, as the `/files` proxy: the body is never parsed or buffered, only counted, and one
 * longer than `maxBytes` (the chunk size) is cut off with 413. Media must answer, and keep
 * taking bytes, within `timeoutMs` (504 when it has not answered by then); a client gone silent
 * is the gateway's own body deadline's to drop.
 */
export function uploadsProxy(mediaUrl: string, gatewaySecret: string | undefined, timeoutMs: number, maxBytes: number) {
  const origin = new URL(mediaUrl).origin;
  return (req: Request<{ token: string }>, res: Response): void => {
    const token = req.params.token;
    const tooLarge = () =>
      refuse(
        res,
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        'CHUNK_TOO_LARGE',
        `A chunk holds at most ${maxBytes} bytes: send exactly the chunk the URL was asked for.`,
      );
    if (!TOKEN.test(token)) {
      refuse(
        res,
        403,
        ErrorCode.FORBIDDEN,
        'UPLOAD_URL_INVALID',
        'This is not a chunk upload URL: ask chunkUploadUrls for one.',
      );
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      tooLarge();
      discardRest(req, maxBytes);
      return;
    }
    const target = new URL(`/uploads/${encodeURIComponent(token)}`, origin);
    const { upstream, timedOut } = mediaRequest(req, res, target, {
      method: 'PUT',
      passedOn,
      gatewaySecret,
      timeoutMs,
      // While the chunk is still arriving and media takes what comes, a quiet line is the client's silence, not media's.
      heldBack: () => !req.complete && !upstream.writableNeedDrain,
      silence: `The media service took or sent nothing for ${timeoutMs} ms.`,
    });
    let answered = false;
    let received = 0;
    const counting = (piece: Buffer) => {
      received += piece.length;
      if (received <= maxBytes) return;
      // Cut off before more of it reaches media, which then never records it.
      req.off('data', counting);
      req.unpipe(upstream);
      upstream.destroy(new Error('chunk too large'));
      if (!res.headersSent) {
        answered = true;
        tooLarge();
      }
      discardRest(req, maxBytes);
    };
    req.on('data', counting);
    upstream.once('response', (response) => {
      if (answered) return void response.resume();
      answered = true;
      passBack(response, res, passedBack);
      // Media answered before taking the whole body (a refusal) and drops the rest as it comes: it still goes on, so the client can finish and read the answer.
      pipeline(response, res).catch(() => undefined);
    });
    // Every error of the request is heard (writes after a cut-off fail too); the first one answers.
    upstream.on('error', (error) => {
      if (answered || res.destroyed) return;
      answered = true;
      req.log.warn({ err: error, target: `${origin}/uploads/…` }, 'upload proxy failed');
      discardRest(req, maxBytes);
      if (timedOut())
        refuse(
          res,
          504,
          ErrorCode.INTERNAL,
          'SUBGRAPH_TIMEOUT',
          `The media service did not answer within ${timeoutMs / 1000} s: send the chunk again shortly.`,
        );
      else
        refuse(
          res,
          502,
          ErrorCode.INTERNAL,
          'MEDIA_UNAVAILABLE',
          'The media service did not answer; send the chunk again shortly.',
        );
    });
    req.pipe(upstream);
  };
}
