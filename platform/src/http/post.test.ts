import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TcpProxy } from '../testing/tcp-proxy';
import { PeerSilentError, post } from './post';

describe('post', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/early') {
        // Refuses without reading the body, then lets the rest drain as the platform's servers do.
        res.writeHead(413, { 'content-type': 'text/plain' }).end('too large');
        req.resume();
        return;
      }
      let length = 0;
      req.on('data', (part: Buffer) => (length += part.length));
      req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json', 'x-seen': 'yes' }).end(JSON.stringify({ length })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });

  async function* blocks(count: number, size: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < count; i++) yield Buffer.alloc(size, i);
  }

  test('streams a body and returns the status, headers and body of the answer', async () => {
    const answer = await post(`${url}/count`, { 'content-type': 'application/octet-stream' }, blocks(64, 256 * 1024), {
      idleMs: 5_000,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-seen'), 'yes');
    assert.deepEqual(JSON.parse(answer.body.toString()), { length: 64 * 256 * 1024 });
    assert.deepEqual(JSON.parse((await post(`${url}/count`, {}, 'four', { idleMs: 5_000 })).body.toString()), {
      length: 4,
    });
  });

  test('returns an answer the server gives before reading the whole body', async () => {
    const answer = await post(`${url}/early`, {}, blocks(128, 256 * 1024), { idleMs: 5_000 });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.toString(), 'too large');
  });

  test("a body that fails rejects with the body's error", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1024);
      throw new Error('the file went away');
    }
    await assert.rejects(post(`${url}/count`, {}, failing(), { idleMs: 5_000 }), /the file went away/);
  });

  test('an unreachable server rejects', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(post(`http://127.0.0.1:${port}/`, {}, 'x', { idleMs: 5_000 }), /ECONNREFUSED/);
  });
});

describe('post deadlines', () => {
  let silent: TcpProxy;
  before(async () => {
    // Nothing behind it matters: blackholed, it accepts connections and then neither reads nor answers.
    silent = await TcpProxy.start({ host: '127.0.0.1', port: 9 });
    await silent.blackhole();
  });
  after(() => silent.close());

  const silentPeer = (error: unknown): true => {
    assert.ok(error instanceof PeerSilentError, `expected PeerSilentError, got ${String(error)}`);
    assert.equal(error.idleMs, 300);
    assert.match(error.message, /neither took nor sent a byte for 300 ms/);
    return true;
  };

  test('a server that takes the request and never answers is given up after idleMs', async () => {
    await assert.rejects(
      post(`http://127.0.0.1:${silent.port}/graphql`, {}, '{"query":"{ a }"}', { idleMs: 300 }),
      silentPeer,
    );
  });

  test('a server that stops taking the body is given up after idleMs, with the body unsent', async () => {
    let sent = 0;
    async function* large(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 256; i++) {
        sent += 1;
        yield Buffer.alloc(256 * 1024);
      }
    }
    await assert.rejects(post(`http://127.0.0.1:${silent.port}/upload`, {}, large(), { idleMs: 300 }), silentPeer);
    assert.ok(sent < 256, 'the body stopped when the server stopped taking it');
  });

  test('an answer that keeps coming, however slowly, is not cut by idleMs', async () => {
    const slow = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        // Ten bytes 100 ms apart: a second in all, never 300 ms of silence.
        for (let i = 0; i < 10; i++) {
          res.write(String(i));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        res.end();
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await post(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/`, {}, 'x', { idleMs: 300 });
      assert.equal(answer.body.toString(), '0123456789');
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  test('a signal ends the request when it aborts', async () => {
    const deadline = AbortSignal.timeout(200);
    await assert.rejects(post(`http://127.0.0.1:${silent.port}/graphql`, {}, 'x', { signal: deadline }), {
      name: 'AbortError',
    });
    assert.ok(deadline.aborted);
  });
});
