import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { closeServer, listen } from './lifecycle';

// A service as `npm start` runs it: stdin is a pipe whose other end the supervisor holds.
const service = (watchParent: boolean) => `
const { createLogger } = require(${JSON.stringify(require.resolve('../logger'))});
const { onShutdownSignal } = require(${JSON.stringify(require.resolve('./lifecycle'))});
const logger = createLogger('supervised');
setInterval(() => {}, 1000);
onShutdownSignal(logger, 5000, async () => logger.info('closing'), ${watchParent});
logger.info('ready');
`;

async function startAndCloseStdin(watchParent: boolean): Promise<{ outcome: string; output: string }> {
  const child = spawn(process.execPath, ['-e', service(watchParent)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await once(child.stdout, 'data');
  const exited = once(child, 'exit');
  child.stdin.end();
  const outcome = await Promise.race([exited.then(() => 'exited'), new Promise<string>((resolve) => setTimeout(resolve, 3_000, 'still running'))]);
  child.kill('SIGKILL');
  return { outcome, output };
}

test('a supervised service stops gracefully when its supervisor is gone (stdin closes)', { timeout: 30_000 }, async () => {
  const { outcome, output } = await startAndCloseStdin(true);
  assert.equal(outcome, 'exited', output);
  assert.match(output, /parent gone/);
  assert.match(output, /closing/);
});

test('an unsupervised service (systemd, a container) ignores stdin closing', { timeout: 30_000 }, async () => {
  const { outcome, output } = await startAndCloseStdin(false);
  assert.equal(outcome, 'still running', output);
});

/** A server that answers with the number of body bytes it read. */
async function counting(bodyIdleMs: number) {
  return listen(
    (request, response) => {
      let bytes = 0;
      request.on('data', (part: Buffer) => (bytes += part.length));
      request.on('end', () => response.end(String(bytes)));
    },
    0,
    '127.0.0.1',
    bodyIdleMs,
  );
}

/** Resolves with everything the server sent once it closes the socket (or rejects after `deadlineMs`). */
function readUntilClosed(socket: Socket, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const deadline = setTimeout(() => reject(new Error('the server did not close the socket in time')), deadlineMs);
    socket.on('data', (part: Buffer) => parts.push(part));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(deadline);
      resolve(Buffer.concat(parts).toString());
    });
  });
}

test('a body that stops sending is dropped after the idle limit', { timeout: 20_000 }, async () => {
  const { server, port } = await counting(1_000);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(100));
  const answer = await readUntilClosed(socket, 15_000);
  assert.doesNotMatch(answer, /^HTTP\/1\.1 200/);
  await closeServer(server);
});

test('a body that keeps sending slowly for longer than the idle limit is not cut', { timeout: 20_000 }, async () => {
  const { server, port } = await counting(1_000);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const closed = readUntilClosed(socket, 15_000);
  socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10\r\n\r\n');
  // Ten bytes 400 ms apart: about four seconds in all, never a second of silence.
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    socket.write('a');
  }
  assert.match(await closed, /^HTTP\/1\.1 200[^]*\r\n\r\n10$/);
  await closeServer(server);
});

test('a slowloris client that never finishes its headers is cut off', { timeout: 40_000 }, async () => {
  const { server, port } = await counting(60_000);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const closed = readUntilClosed(socket, 35_000);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  // One header line every second keeps the socket busy, but the headers never end.
  const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 1_000);
  try {
    assert.doesNotMatch(await closed, /^HTTP\/1\.1 200/);
  } finally {
    clearInterval(drip);
    await closeServer(server);
  }
});
