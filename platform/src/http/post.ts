import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface PostResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** POSTs `body` and collects the (small) response (see `send`). */
export function post(url: string | URL, headers: Record<string, string>, body: string | Buffer | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<PostResponse> {
  return send('POST', url, headers, body, signal);
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
  signal?: AbortSignal,
): Promise<PostResponse> {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers, signal });
  const answered = new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : Readable.from(body);
  let bodyFailure: unknown;
  const sent = pipeline(source, request).catch((error: unknown) => {
    bodyFailure = error;
  });
  let response: IncomingMessage;
  try {
    response = await answered;
  } catch (error) {
    await sent;
    throw bodyFailure ?? error;
  }
  const parts: Buffer[] = [];
  // A server may answer before reading the whole body (an early refusal): the answer is what counts.
  for await (const part of response) parts.push(part as Buffer);
  const answerHeaders = new Headers();
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) answerHeaders.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
  return { status: response.statusCode ?? 0, headers: answerHeaders, body: Buffer.concat(parts) };
}
