import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { nodeHttpFetch } from './node-http-fetch.js';

interface Received {
  method?: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

describe('nodeHttpFetch', () => {
  let server: Server;
  let base: string;
  let answer: (req: IncomingMessage, res: ServerResponse) => void;
  const received: Received[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const pieces: Buffer[] = [];
      req.on('data', (piece: Buffer) => pieces.push(piece));
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body: Buffer.concat(pieces) });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('sends a byte body whole, with its headers and length, and gives the answer as a Response', async () => {
    answer = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, 'Stored', { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 5, bytes.length - 5);
    const response = await nodeHttpFetch(`${base}/uploads/x`, {
      method: 'PUT',
      headers: { 'Content-MD5': 'abc==', 'x-extra': 'y' },
      body: view,
    });
    const last = received.at(-1)!;
    assert.equal(last.method, 'PUT');
    assert.equal(last.headers['content-md5'], 'abc==');
    assert.equal(last.headers['x-extra'], 'y');
    assert.equal(last.headers['content-length'], String(view.byteLength));
    assert.ok(last.body.equals(bytes.subarray(5)), 'the bytes arrive as sent, from the view’s offset');
    assert.equal(response.status, 201);
    assert.equal(response.statusText, 'Stored');
    assert.equal(response.ok, true);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.deepEqual(await response.json(), { ok: true });
  });

  test('a string body (GraphQL) is sent as UTF-8 with its byte length', async () => {
    answer = (_req, res) => res.writeHead(400).end('refused');
    const response = await nodeHttpFetch(`${base}/graphql`, {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json' }),
      body: '{"q":"é"}',
    });
    assert.equal(received.at(-1)!.headers['content-length'], String(Buffer.byteLength('{"q":"é"}')));
    assert.equal(received.at(-1)!.body.toString(), '{"q":"é"}');
    assert.equal(response.status, 400);
    assert.equal(response.ok, false);
    assert.equal(await response.text(), 'refused');
  });

  test('a FormData body goes through the built-in fetch, which encodes it', async () => {
    answer = (_req, res) => res.end('ok');
    const form = new FormData();
    form.append('field', 'value');
    await nodeHttpFetch(`${base}/graphql`, { method: 'POST', body: form });
    const last = received.at(-1)!;
    assert.match(String(last.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.match(last.body.toString(), /name="field"\r\n\r\nvalue/);
  });

  test('aborting rejects with the signal’s reason and ends the request; an abort before sending sends nothing', async () => {
    const seen = received.length;
    // The server never answers: it only tells the test the body arrived.
    const arrived = new Promise<void>((resolve) => {
      answer = () => resolve();
    });
    const controller = new AbortController();
    const pending = nodeHttpFetch(`${base}/slow`, {
      method: 'PUT',
      body: new Uint8Array(10),
      signal: controller.signal,
    });
    await arrived;
    controller.abort(new Error('stopped by the test'));
    await assert.rejects(pending, { message: 'stopped by the test' });
    await assert.rejects(nodeHttpFetch(`${base}/x`, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(received.length, seen + 1);
  });

  test('a closed port fails as fetch does: a TypeError whose cause has the code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(nodeHttpFetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' }), (error) => {
      assert.ok(error instanceof TypeError);
      assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
  });

  test('an answer larger than 16 MiB is refused rather than held', async () => {
    answer = (_req, res) => {
      res.writeHead(200);
      const piece = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 17 && res.write(piece)) sent++;
        if (sent < 17) res.once('drain', more);
        else res.end();
      };
      more();
    };
    await assert.rejects(nodeHttpFetch(`${base}/big`), (error) => {
      assert.ok(error instanceof TypeError);
      assert.match(String((error.cause as Error).message), /larger than 16777216 bytes/);
      return true;
    });
  });
});
