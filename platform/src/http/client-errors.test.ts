import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { closeServer, listen } from './lifecycle';

/** Sends raw bytes and reads until the server closes the connection (or 5 s pass). */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let received = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

test("every process answers requests node's parser refuses with a coded JSON 4xx, and keeps serving", async () => {
  const { server, port } = await listen((_req, res) => res.end('ok'), 0, '127.0.0.1', {
    bodyIdleMs: 30_000,
    jsonBodyMs: 10_000,
  });
  try {
    const broken = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n');
    assert.match(broken, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(broken, /"code":"BAD_USER_INPUT","reason":"MALFORMED_HTTP"/);
    const huge = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ok');
  } finally {
    await closeServer(server);
  }
});
