import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Fetch } from '../http-request.js';

/** Answers are the server's small JSON or XML; a larger one is not what this client talks to. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * `fetch` for Node over node:http(s), for the bodies the client sends (bytes and strings). Node's
 * built-in fetch streams a byte body through web streams and copies it twice, which costs about
 * four times the CPU of the send itself; any other body (FormData, Blob, streams) still goes
 * through the built-in fetch. The answer is read whole before it resolves, under the same signal.
 */
export const nodeHttpFetch: Fetch = async (input, init = {}) => {
  const body = init.body;
  const bytes =
    typeof body === 'string'
      ? Buffer.from(body)
      : ArrayBuffer.isView(body)
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
        : body == null
          ? undefined
          : null;
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (bytes === null || input instanceof Request || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    return globalThis.fetch(input, init);

  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  if (bytes) headers['content-length'] = String(bytes.length);
  return new Promise<Response>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: init.method ?? 'GET', headers, signal });
    const fail = (error: unknown) => {
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    };
    request.once('error', fail);
    request.once('response', (answer: IncomingMessage) => {
      const pieces: Buffer[] = [];
      let length = 0;
      answer.on('data', (piece: Buffer) => {
        length += piece.length;
        if (length > MAX_ANSWER_BYTES)
          return answer.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        pieces.push(piece);
      });
      answer.once('error', fail);
      answer.once('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(answer.headers))
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
            answerHeaders.append(name, one);
        const status = answer.statusCode ?? 0;
        const noBody = status === 204 || status === 304 || (init.method ?? 'GET').toUpperCase() === 'HEAD';
        resolve(
          new Response(noBody ? null : Buffer.concat(pieces, length), {
            status,
            statusText: answer.statusMessage,
            headers: answerHeaders,
          }),
        );
      });
    });
    request.end(bytes);
  });
};
