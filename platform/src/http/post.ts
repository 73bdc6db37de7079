import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface PostResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** How long a request may take: a signal (a total deadline, or a caller that left), an idle limit, or both; at least one. */
export type Deadline =
  | { signal: AbortSignal; idleMs?: number }
  | {
      signal?: AbortSignal;
      /** Gives up (PeerSilentError) when the server has neither taken a byte of the body nor sent one of its answer for this long. */
      idleMs: number;
    };

/** The server went silent: it neither took the request's bytes nor sent any of its answer for `idleMs`. */
export class PeerSilentError extends Error {
  constructor(
    readonly url: string,
    readonly idleMs: number,
  ) {
    super(`${url} neither took nor sent a byte for ${idleMs} ms.`);
    this.name = 'PeerSilentError';
  }
}

/** POSTs `body` and collects the (small) response (see `send`). */
export function post(
  url: string | URL,
  headers: Record<string, string>,
  body: string | Buffer | AsyncIterable<Uint8Array>,
  deadline: Deadline,
): Promise<PostResponse> {
  return send('POST', url, headers, body, deadline);
}

/**
 * Sends a request and collects the (small) response. Uses node:http rather than fetch because
 * fetch moves bytes through web streams and Blobs, which costs several times the CPU of a plain
 * socket write: that matters for uploads and for services calling each other per message.
 * Streams a body with backpressure; a body that fails aborts the request with the body's error.
 */
export async function send(
  method: string,
  url: string | URL,
  headers: Record<string, string>,
  body: string | Buffer | AsyncIterable<Uint8Array> = '',
  deadline: Deadline,
): Promise<PostResponse> {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
    method,
    headers,
    signal: deadline.signal,
  });
  let silent: PeerSilentError | undefined;
  if (deadline.idleMs !== undefined) {
    const idleMs = deadline.idleMs;
    // The socket's own inactivity timer: writes the server takes and bytes it sends both count as activity.
    request.setTimeout(idleMs, () =>
      request.destroy((silent = new PeerSilentError(`${target.origin}${target.pathname}`, idleMs))),
    );
  }
  const answered = new Promise<IncomingMessage>((resolve, reject) =>
    request.once('response', resolve).once('error', reject),
  );
  const source =
    typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : Readable.from(body);
  let bodyFailure: unknown;
  const sent = pipeline(source, request).catch((error: unknown) => {
    bodyFailure = error;
  });
  let response: IncomingMessage;
  try {
    response = await answered;
  } catch (error) {
    await sent;
    // A silent server fails the body too, and a failing body fails the request: report the cause.
    throw silent ?? bodyFailure ?? error;
  }
  const parts: Buffer[] = [];
  try {
    // A server may answer before reading the whole body (an early refusal): the answer is what counts.
    for await (const part of response) parts.push(part as Buffer);
  } catch (error) {
    throw silent ?? error;
  }
  const answerHeaders = new Headers();
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2)
    answerHeaders.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
  return { status: response.statusCode ?? 0, headers: answerHeaders, body: Buffer.concat(parts) };
}
