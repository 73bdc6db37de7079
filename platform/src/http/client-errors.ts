import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../errors';

const statusFor = (code: string | undefined) => (code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400);

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
    const status = statusFor(error.code);
    const body = JSON.stringify({
      errors: [
        {
          message: 'The HTTP request could not be read (malformed, or it ended before its declared length): send it whole.',
          extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'MALFORMED_HTTP' },
        },
      ],
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    socket.once('finish', () => socket.destroy());
  });
}
