import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { TcpProxy } from './tcp-proxy';

const echo = createServer((socket) => socket.on('error', () => {}).pipe(socket));
let proxy: TcpProxy;

before(async () => {
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = await TcpProxy.start({ host: '127.0.0.1', port: (echo.address() as { port: number }).port });
});

after(async () => {
  await proxy.close();
  echo.close();
});

async function connect(): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
  await once(socket, 'connect');
  // Refusing closes open connections: that is the point, not a failure.
  socket.on('error', () => {});
  return socket;
}

/** The first bytes the socket receives, or undefined when nothing came within `waitMs` (or it closed). */
function reply(socket: Socket, waitMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    const settle = (text: string | undefined) => {
      clearTimeout(timer);
      resolve(text);
    };
    socket.once('data', (data) => settle(data.toString()));
    socket.once('close', () => settle(undefined));
  });
}

test('forwards, refuses like a closed port, swallows like a dead network, and forwards again on the same port', async () => {
  const first = await connect();
  first.write('one');
  assert.equal(await reply(first, 5000), 'one');
  assert.equal(proxy.bytesFromClients, 3);

  await proxy.blackhole();
  first.write('lost');
  assert.equal(await reply(first, 300), undefined, 'an open connection hears nothing');
  assert.equal(proxy.bytesFromClients, 7, 'swallowed bytes were read all the same');
  const held = await connect();
  held.write('lost too');
  assert.equal(await reply(held, 300), undefined, 'a new connection is accepted and hears nothing');

  await proxy.refuse();
  const refused = createConnection({ host: '127.0.0.1', port: proxy.port });
  const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ECONNREFUSED');

  await proxy.restore();
  const again = await connect();
  again.write('back');
  assert.equal(await reply(again, 5000), 'back');
  for (const socket of [first, held, again]) socket.destroy();
});
