import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerOnSocket } from './socket-answer';

const statusFor = (code: string | undefined) =>
  code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;

/**
 * Requests node's HTTP parser itself refuses (a malformed request line or header, a body that
 * ends before its Content-Length, headers too large) get a coded JSON 4xx rather than node's
 * bare `400 Bad Request`, when nothing has been written on the connection yet.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
    if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten) {
      socket.destroy();
      return;
    }
    answerOnSocket(
      socket,
      statusFor(error.code),
      'The HTTP request could not be read (malformed, or it ended before its declared length): send it whole.',
      'MALFORMED_HTTP',
    );
  });
}
