import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { post } from './post';

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
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'x-seen': 'yes' }).end(JSON.stringify({ length })));
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
    const answer = await post(`${url}/count`, { 'content-type': 'application/octet-stream' }, blocks(64, 256 * 1024));
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-seen'), 'yes');
    assert.deepEqual(JSON.parse(answer.body.toString()), { length: 64 * 256 * 1024 });
    assert.deepEqual(JSON.parse((await post(`${url}/count`, {}, 'four')).body.toString()), { length: 4 });
  });

  test('returns an answer the server gives before reading the whole body', async () => {
    const answer = await post(`${url}/early`, {}, blocks(128, 256 * 1024));
    assert.equal(answer.status, 413);
    assert.equal(answer.body.toString(), 'too large');
  });

  test('a body that fails rejects with the body\'s error', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1024);
      throw new Error('the file went away');
    }
    await assert.rejects(post(`${url}/count`, {}, failing()), /the file went away/);
  });

  test('an unreachable server rejects', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(post(`http://127.0.0.1:${port}/`, {}, 'x'), /ECONNREFUSED/);
  });
});
