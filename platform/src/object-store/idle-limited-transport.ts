import * as http from 'node:http';
import * as https from 'node:https';
import { onPeerSilence } from '../http/peer-silence.js';

/** What the minio client sends its requests through: node's `request`. */
export type Transport = Pick<typeof http, 'request'>;

/** The object store neither took a byte of a request nor sent one of its answer for `idleMs`. */
export class StoreSilentError extends Error {
  constructor(
    readonly host: string,
    readonly idleMs: number,
  ) {
    super(`The object store at ${host} neither took nor sent a byte for ${idleMs / 1000} s.`);
    this.name = 'StoreSilentError';
  }
}

/**
 * node's http (or https) `request` with an idle limit on every request: a store that neither
 * takes a byte nor sends one for `idleMs` fails the call (StoreSilentError). A reader slow to take
 * an object's bytes (a download to a slow client) holds them back, and so does a body still
 * arriving from a slow sender (a part streamed through): that silence is not the store's.
 */
export function idleLimitedTransport(secure: boolean, idleMs: number): Transport {
  const base = secure ? https : http;
  return {
    request(...args: unknown[]): http.ClientRequest {
      const request = (base.request as (...a: unknown[]) => http.ClientRequest)(...args);
      let response: http.IncomingMessage | undefined;
      request.once('response', (answer: http.IncomingMessage) => (response = answer));
      onPeerSilence(
        request,
        idleMs,
        () =>
          // Nothing of the body is waiting to be sent, yet more is to come.
          (!request.writableEnded && request.writableLength === 0) ||
          // The answer's buffer is full: its reader has not taken it yet.
          (response !== undefined && response.readableLength >= response.readableHighWaterMark),
        () => {
          const silent = new StoreSilentError(request.host, idleMs);
          // The reader of an answer already under way hears why it stopped.
          response?.destroy(silent);
          request.destroy(silent);
        },
      );
      return request;
    },
  } as Transport;
}
