import * as http from 'node:http';
import * as https from 'node:https';
import { peerSilence } from '../http/peer-silence.js';

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
 * an object's bytes (a download to a slow client) holds them back, and that silence is not the store's.
 */
export function idleLimitedTransport(secure: boolean, idleMs: number): Transport {
  const base = secure ? https : http;
  return {
    request(...args: unknown[]): http.ClientRequest {
      const request = (base.request as (...a: unknown[]) => http.ClientRequest)(...args);
      let response: http.IncomingMessage | undefined;
      request.once('response', (answer: http.IncomingMessage) => (response = answer));
      const storeSilent = peerSilence(
        () =>
          response !== undefined && (response.isPaused() || response.readableLength >= response.readableHighWaterMark),
      );
      request.setTimeout(idleMs, () => {
        if (storeSilent()) request.destroy(new StoreSilentError(request.host, idleMs));
        else request.setTimeout(idleMs);
      });
      return request;
    },
  } as Transport;
}
