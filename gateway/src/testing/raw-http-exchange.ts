import { connect } from 'node:net';

/** One HTTP/1.1 request written byte for byte, so it can carry what fetch would refuse to send. */
export interface RawRequest {
  method: string;
  /** The request target as written on the request line (already encoded, may be malformed on purpose). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /**
   * Send only this many body bytes (Content-Length still announces the whole body), then close
   * the sending side: a client that goes away mid-upload.
   */
  cutAfter?: number;
}

export type RawOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: Buffer }
  /** The server closed the connection without a status line. */
  | { kind: 'closed'; error?: string }
  /** The connection failed (refused or reset) before any status line arrived. */
  | { kind: 'reset'; error: string }
  | { kind: 'timeout' };

function decodeChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The first final (non-1xx) response in `bytes`, or undefined when no complete head arrived. */
function parseResponse(bytes: Buffer): Extract<RawOutcome, { kind: 'response' }> | undefined {
  let rest = bytes;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) return undefined;
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.subarray(headEnd + 4);
    if (status >= 100 && status < 200) continue;
    let body = rest;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = decodeChunked(rest);
    else if (headers['content-length'] !== undefined) body = rest.subarray(0, Number(headers['content-length']));
    return { kind: 'response', status, headers, body };
  }
}

/**
 * Writes `request` to 127.0.0.1:`port` on a fresh connection (`Connection: close`) and reads the
 * answer until the server closes it, or until `deadlineMs` is over.
 */
export function rawExchange(port: number, request: RawRequest, deadlineMs = 5000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const body = request.body ?? Buffer.alloc(0);
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close', ...request.headers };
    const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    if (
      !names.has('content-length') &&
      !names.has('transfer-encoding') &&
      (body.length > 0 || request.method === 'POST' || request.method === 'PUT')
    ) {
      headers['content-length'] = String(body.length);
    }
    const head = `${request.method} ${request.path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`;
    const received: Buffer[] = [];
    let failure: string | undefined;
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (outcome?: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome) return resolve(outcome);
      const response = parseResponse(Buffer.concat(received));
      if (response) return resolve(response);
      resolve(failure ? { kind: 'reset', error: failure } : { kind: 'closed' });
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), deadlineMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // Writing after the server answered early and closed is fine: the answer is what counts.
      failure ??= error.code ?? error.message;
    });
    socket.on('close', () => finish());
    socket.on('connect', () => {
      socket.write(Buffer.from(head, 'latin1'));
      if (request.cutAfter !== undefined) {
        socket.end(body.subarray(0, request.cutAfter));
      } else {
        socket.write(body);
      }
    });
  });
}
