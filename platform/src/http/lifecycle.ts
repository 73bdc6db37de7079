import { createServer, type IncomingMessage, type Server, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import { answerClientErrors } from './client-errors';

/**
 * Starts listening and resolves with the bound port (useful when `port` is 0 in tests). Headers
 * must arrive within 15 s; a body that goes quiet for `bodyIdleMs` has its socket destroyed.
 */
export function listen(handler: RequestListener, port: number, host: string, bodyIdleMs: number): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  // Uploads stream for as long as they take (requestTimeout counts the whole body), so bodies get an idle limit instead.
  server.requestTimeout = 0;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = bodyIdleMs;
  // Once the body is in, the idle limit stops: slow work or a slow reader of the answer is not a stalled body.
  server.prependListener('request', (request: IncomingMessage) => {
    request.socket.setTimeout(bodyIdleMs);
    if (request.complete) request.socket.setTimeout(0);
    else request.once('end', () => request.socket.setTimeout(0));
  });
  answerClientErrors(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
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
export function onShutdownSignal(logger: Logger, graceMs: number, shutdown: () => Promise<void>, watchParent = false): void {
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
