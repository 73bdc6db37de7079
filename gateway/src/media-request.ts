import { type ClientRequest, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { GATEWAY_SECRET_HEADER, onPeerSilence, REQUEST_ID_HEADER } from '@learnhub/platform/http';

export interface MediaRequestOptions {
  method: string;
  /** The client's headers media is given, when the client sent them. */
  passedOn: readonly string[];
  gatewaySecret: string | undefined;
  timeoutMs: number;
  /** True while the quiet line is the client's doing (a slow reader or sender), not media's. */
  heldBack: () => boolean;
  /** Why the request is cut off when media takes or sends nothing for `timeoutMs`. */
  silence: string;
}

/**
 * A proxied client request as media receives it: the request id, the headers passed on and the
 * gateway secret. It is cut off (`timedOut()` then says so) when media goes quiet and nothing of
 * ours holds it back, and dropped when the client goes away before the answer is through.
 */
export function mediaRequest(
  req: Request,
  res: Response,
  target: URL,
  options: MediaRequestOptions,
): { upstream: ClientRequest; timedOut(): boolean } {
  const headers: OutgoingHttpHeaders = { [REQUEST_ID_HEADER]: req.id };
  for (const name of options.passedOn) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  if (options.gatewaySecret) headers[GATEWAY_SECRET_HEADER] = options.gatewaySecret;
  const upstream = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
    method: options.method,
    headers,
  });
  let timedOut = false;
  onPeerSilence(upstream, options.timeoutMs, options.heldBack, () => {
    timedOut = true;
    upstream.destroy(new Error(options.silence));
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  return { upstream, timedOut: () => timedOut };
}

/** Media's status and the `passedBack` headers it sent, set on the client's answer. */
export function passBack(response: IncomingMessage, res: Response, passedBack: readonly string[]): void {
  res.status(response.statusCode ?? 502);
  for (const name of passedBack) {
    const value = response.headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
}
