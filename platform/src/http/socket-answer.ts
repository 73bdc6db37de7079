import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../errors';

/** How long a client that does not read its refusal keeps the socket. */
const FLUSH_GRACE_MS = 1_000;

/**
 * Writes a coded JSON refusal straight onto the socket and closes it: for requests no handler can
 * answer any more (unreadable ones, bodies cut off by a deadline).
 */
export function answerOnSocket(socket: Duplex, status: number, message: string, reason: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT, reason } }] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), FLUSH_GRACE_MS).unref();
}
