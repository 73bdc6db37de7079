import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the gateway (and its PUBLIC_URL, so chunk upload URLs lead through it
 * too) that passes everything until told to hold chunks: after `holdAfter(n)`, n more chunk
 * uploads (multipart GraphQL requests, or PUTs to chunk URLs) go through and every later one is
 * held unanswered, so a test can stop a client at a known point mid-upload.
 */
export class ChunkGate {
  /** Chunk requests answered by the gateway. */
  passed = 0;
  /** Chunk requests held unanswered. */
  held = 0;
  private forwarded = 0;
  private allowed = Number.POSITIVE_INFINITY;
  private readonly holding = new Set<ServerResponse>();
  private server!: Server;
  /** Where requests go: the gateway's origin, set once it has a port. */
  target?: URL;

  static async start(target?: string): Promise<ChunkGate> {
    const gate = new ChunkGate();
    if (target) gate.target = new URL(target);
    gate.server = createServer((req, res) => gate.handle(req, res));
    await new Promise<void>((resolve) => gate.server.listen(0, '127.0.0.1', resolve));
    return gate;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The gate's URL for `path` (e.g. `/graphql`). */
  url(path = '/graphql'): string {
    return `${this.origin}${path}`;
  }

  /** Lets `count` more chunks through, then holds the rest; counts start again from zero. */
  holdAfter(count: number): void {
    this.passed = 0;
    this.held = 0;
    this.forwarded = 0;
    this.allowed = count;
  }

  /** Passes everything again (held requests stay held until `close`). */
  open(): void {
    this.allowed = Number.POSITIVE_INFINITY;
  }

  private isChunk(req: IncomingMessage): boolean {
    return req.method === 'PUT' || (req.headers['content-type'] ?? '').startsWith('multipart/form-data');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunk = this.isChunk(req);
    if (chunk && this.forwarded >= this.allowed) {
      // Held: read (so the client's send completes) and never answered, until the gate closes.
      this.held++;
      this.holding.add(res);
      req.resume();
      return;
    }
    if (!this.target) {
      res.writeHead(502).end();
      return;
    }
    if (chunk) this.forwarded++;
    const upstream = request(
      this.target.origin + req.url,
      { method: req.method, headers: { ...req.headers, host: this.target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          if (chunk) this.passed++;
        });
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    for (const res of this.holding) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
