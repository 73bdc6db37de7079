import { createServer, type IncomingMessage, type Server, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import { answerClientErrors } from './client-errors';
import { peerSilence } from './peer-silence';
import { answerOnSocket } from './socket-answer';

/** The deadlines a request body gets (`Config['http']` has them). */
export interface BodyLimits {
  /** An upload body (multipart, or a chunk's raw `PUT /uploads/...`) that sends nothing for this long while the server reads it is dropped. */
  bodyIdleMs: number;
  /** Any other body (JSON, mostly) must arrive whole within this long. */
  jsonBodyMs: number;
}

/**
 * Starts listening and resolves with the bound port (useful when `port` is 0 in tests). Headers
 * must arrive within 15 s; then the body gets `limits`, and a body past them is answered 408
 * and its connection closed.
 */
export function listen(
  handler: RequestListener,
  port: number,
  host: string,
  limits: BodyLimits,
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  // Node's requestTimeout counts every body, uploads included, which stream for as long as they take: bodies get `limits` instead.
  server.requestTimeout = 0;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = limits.bodyIdleMs;
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) =>
    limitBody(request, response, limits),
  );
  answerClientErrors(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}

/** Bodies that stream for as long as they take (idle-limited only): multipart uploads, and chunks sent raw to `PUT /uploads/<token>`. */
const isUpload = (request: IncomingMessage) =>
  /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '') ||
  (request.method === 'PUT' && (request.url ?? '').startsWith('/uploads/'));

/**
 * Watches one request's body until it ends. Idle time counts only while the server reads: when
 * the handler holds the body back (a chunk waiting for its turn, an upstream that is slow to take
 * the bytes), that silence is the server's, not the client's.
 */
function limitBody(request: IncomingMessage, response: ServerResponse, { bodyIdleMs, jsonBodyMs }: BodyLimits): void {
  const socket = request.socket;
  const cut = (reason: string, message: string) => {
    done();
    // Answered only when nothing of the response went out on this socket yet (a pipelined response may be waiting for it).
    if (!response.headersSent && response.socket === socket) answerOnSocket(socket, 408, message, reason);
    else socket.destroy();
  };
  // Node stops reading the socket while the handler's buffer is full.
  const clientSilent = peerSilence(() => request.readableLength >= request.readableHighWaterMark);
  const onIdle = () => {
    // All in, only not read yet (or there is no body): slow work or a slow reader of the answer is not a stalled body.
    if (request.complete) return done();
    if (clientSilent())
      cut(
        'BODY_IDLE',
        `The request body sent nothing for ${bodyIdleMs / 1000} s, so it was dropped: send the request again.`,
      );
    else socket.setTimeout(bodyIdleMs);
  };
  const whole = isUpload(request)
    ? undefined
    : setTimeout(() => {
        if (!request.complete)
          cut('BODY_TIMEOUT', `The request body did not arrive whole within ${jsonBodyMs / 1000} s: send it at once.`);
      }, jsonBodyMs);
  function done() {
    clearTimeout(whole);
    response.off('timeout', onIdle);
    if (!socket.destroyed) socket.setTimeout(0);
  }
  socket.setTimeout(bodyIdleMs);
  // Heard on the response: node tells the request only while its body is incomplete, and without a listener destroys the socket.
  response.on('timeout', onIdle);
  request.once('end', done).once('close', done);
}

/**
 * Closes the server: stops accepting and lets in-flight requests finish. Connections that are or
 * become idle (keep-alive, or opened and never used) are dropped as they go quiet, rather than
 * left to time out.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 200);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Runs `shutdown` once on SIGTERM or SIGINT and exits; a second signal or the grace period
 * running out forces the exit so a stuck dependency cannot keep the process alive. With
 * `watchParent` (set when `npm start` supervises the process) stdin closing counts as the signal:
 * the supervisor holds the other end, so it closes only when the supervisor is gone, even killed.
 */
export function onShutdownSignal(
  logger: Logger,
  graceMs: number,
  shutdown: () => Promise<void>,
  watchParent = false,
): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals | 'parent gone') => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown grace period over: exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
  if (watchParent) {
    const parentGone = () => {
      if (!stopping) handle('parent gone');
    };
    process.stdin.on('end', parentGone).on('close', parentGone).on('error', parentGone).resume();
  }
}
