import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does with connections: pass bytes on, refuse them (a closed port), or swallow them (a silent peer). */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

/**
 * A TCP proxy for tests that make a backend unreachable and bring it back without touching the
 * shared server: point the service at `proxy.port`, then `refuse()` (the port is closed: new
 * connections are refused, open ones closed), `blackhole()` (connections are accepted or kept but
 * nothing gets through, as behind a dead network) and `restore()` (the same port forwards again).
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private current: ProxyMode = 'forward';
  private listenPort = 0;
  private readFromClients = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  /** Starts forwarding a free local port to `target` (a URL such as `redis://127.0.0.1:6379`, or host and port). */
  static async start(target: string | { host: string; port: number }): Promise<TcpProxy> {
    const to =
      typeof target === 'string' ? { host: new URL(target).hostname, port: Number(new URL(target).port) } : target;
    const proxy = new TcpProxy(to);
    proxy.listenPort = await proxy.open(0);
    return proxy;
  }

  /** The local port services connect to; it stays the same across `refuse()` and `restore()`. */
  get port(): number {
    return this.listenPort;
  }

  /** Bytes read from clients so far, passed on or swallowed: what has left them for the network. */
  get bytesFromClients(): number {
    return this.readFromClients;
  }

  get mode(): ProxyMode {
    return this.current;
  }

  /** `scheme://127.0.0.1:<port>` (a Redis URL by default), for a service's environment. */
  url(scheme = 'redis'): string {
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  /** The port is closed: connecting is refused and open connections are closed. */
  async refuse(): Promise<void> {
    this.current = 'refuse';
    const server = this.server;
    this.server = undefined;
    this.dropAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Nothing gets through any more, in either direction, yet no connection is refused or closed. */
  async blackhole(): Promise<void> {
    if (!this.server) await this.open(this.port);
    this.current = 'blackhole';
  }

  /** Forwards again on the same port. Connections swallowed meanwhile are dropped, so clients reconnect. */
  async restore(): Promise<void> {
    if (this.current === 'blackhole') this.dropAll();
    if (!this.server) await this.open(this.port);
    this.current = 'forward';
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private async open(port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.current !== 'forward') return; // held open, silent, until dropped
    const upstream = createConnection(this.target);
    this.track(upstream);
    // Bytes are passed on only while forwarding: a blackholed pair keeps its sockets and loses its data.
    client.on('data', (data) => {
      this.readFromClients += data.length;
      this.pass(data, client, upstream);
    });
    upstream.on('data', (data) => this.pass(data, upstream, client));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  /** A full receiver holds the sender back, as a network would, instead of the proxy queueing without bound. */
  private pass(data: Buffer, from: Socket, to: Socket): void {
    if (this.current !== 'forward' || to.write(data)) return;
    from.pause();
    to.once('drain', () => from.resume());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
