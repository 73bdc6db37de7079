import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { closeServer, listen, type BodyLimits } from './lifecycle';

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
  const outcome = await Promise.race([
    exited.then(() => 'exited'),
    new Promise<string>((resolve) => setTimeout(resolve, 3_000, 'still running')),
  ]);
  child.kill('SIGKILL');
  return { outcome, output };
}

test('a supervised service stops gracefully when its supervisor is gone (stdin closes)', {
  timeout: 30_000,
}, async () => {
  const { outcome, output } = await startAndCloseStdin(true);
  assert.equal(outcome, 'exited', output);
  assert.match(output, /parent gone/);
  assert.match(output, /closing/);
});

test('an unsupervised service (systemd, a container) ignores stdin closing', { timeout: 30_000 }, async () => {
  const { outcome, output } = await startAndCloseStdin(false);
  assert.equal(outcome, 'still running', output);
});

/** A server that answers with the number of body bytes it read, once `ready` lets it start reading. */
async function counting(limits: BodyLimits, ready: () => Promise<void> = async () => undefined) {
  return listen(
    (request, response) => {
      let bytes = 0;
      void ready().then(() => {
        request.on('data', (part: Buffer) => (bytes += part.length));
        request.on('end', () => response.end(String(bytes)));
      });
    },
    0,
    '127.0.0.1',
    limits,
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

const MULTIPART = 'Content-Type: multipart/form-data; boundary=x\r\n';
const JSON_BODY = 'Content-Type: application/json\r\n';

/**
 * Connects to a counting server and hands `use` the socket and everything the server sends until
 * it closes the connection; the server is closed afterwards, whatever connection is left cut.
 */
async function withCounting(
  limits: BodyLimits,
  use: (socket: Socket, closed: Promise<string>) => Promise<void>,
  ready?: () => Promise<void>,
) {
  const { server, port } = await counting(limits, ready);
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    await use(socket, readUntilClosed(socket, 15_000));
  } finally {
    socket.destroy();
    server.closeAllConnections();
    await closeServer(server);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a body that stops sending is answered 408 (BODY_IDLE) and dropped after the idle limit', {
  timeout: 20_000,
}, async () => {
  await withCounting({ bodyIdleMs: 1_000, jsonBodyMs: 60_000 }, async (socket, closed) => {
    socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\n${MULTIPART}Content-Length: 1000\r\n\r\n` + 'a'.repeat(100));
    const answer = await closed;
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"BAD_USER_INPUT","reason":"BODY_IDLE"/);
  });
});

test('an upload body (multipart, or a raw chunk PUT to /uploads/) that keeps sending slowly, past the idle and the JSON limits, is not cut', {
  timeout: 40_000,
}, async () => {
  for (const head of [`POST /upload HTTP/1.1\r\n${MULTIPART}`, 'PUT /uploads/a-token HTTP/1.1\r\n']) {
    await withCounting({ bodyIdleMs: 1_000, jsonBodyMs: 1_000 }, async (socket, closed) => {
      socket.write(`${head}Host: x\r\nConnection: close\r\nContent-Length: 10\r\n\r\n`);
      // Ten bytes 400 ms apart: about four seconds in all, never a second of silence.
      for (let i = 0; i < 10; i++) {
        await pause(400);
        socket.write('a');
      }
      assert.match(await closed, /^HTTP\/1\.1 200[\s\S]*\r\n\r\n10$/);
    });
  }
});

test('a JSON body must arrive whole within its limit: one that trickles is answered 408 (BODY_TIMEOUT) and dropped', {
  timeout: 20_000,
}, async () => {
  await withCounting({ bodyIdleMs: 1_000, jsonBodyMs: 2_000 }, async (socket, closed) => {
    socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\n${JSON_BODY}Content-Length: 100\r\n\r\n`);
    // One byte every 300 ms: never quiet for the idle limit, but the 100 bytes would take 30 s.
    const drip = setInterval(() => socket.write('{'), 300);
    try {
      const answer = await closed;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"code":"BAD_USER_INPUT","reason":"BODY_TIMEOUT"/);
    } finally {
      clearInterval(drip);
    }
  });
});

/** A handler busy elsewhere until `release` is called, before it reads the body. */
function gate(): { ready: () => Promise<void>; release: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { ready: () => opened, release };
}

test('a body the server is not reading yet (its handler is busy) is not cut by the idle limit', {
  timeout: 20_000,
}, async () => {
  const handler = gate();
  const body = Buffer.alloc(16 * 1024 * 1024, 'b');
  await withCounting(
    { bodyIdleMs: 1_000, jsonBodyMs: 60_000 },
    async (socket, closed) => {
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${MULTIPART}Content-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body);
      // The client has sent all it could and waits on the server while three idle limits pass.
      await pause(3_000);
      handler.release();
      assert.match(await closed, new RegExp(`^HTTP/1\\.1 200[^]*\\r\\n\\r\\n${body.length}$`));
    },
    handler.ready,
  );
});

test('once the busy server reads again, a client that went silent meanwhile is dropped after the idle limit', {
  timeout: 20_000,
}, async () => {
  const handler = gate();
  const sent = Buffer.alloc(16 * 1024 * 1024, 'b');
  await withCounting(
    { bodyIdleMs: 1_000, jsonBodyMs: 60_000 },
    async (socket, closed) => {
      socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\n${MULTIPART}Content-Length: ${sent.length + 1}\r\n\r\n`);
      socket.write(sent);
      await pause(3_000);
      handler.release();
      const answer = await closed;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"reason":"BODY_IDLE"/);
    },
    handler.ready,
  );
});

test('a request whose body is all in (or that has none) is not cut while the server takes its time', {
  timeout: 20_000,
}, async () => {
  const limits = { bodyIdleMs: 1_000, jsonBodyMs: 1_000 };
  const handler = gate();
  await withCounting(
    limits,
    async (socket, closed) => {
      socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${JSON_BODY}Content-Length: 2\r\n\r\n{}`);
      // Past both limits before the handler even reads the body.
      await pause(3_000);
      handler.release();
      assert.match(await closed, /^HTTP\/1\.1 200[\s\S]*\r\n\r\n2$/);
    },
    handler.ready,
  );
  const slow = await listen(
    (_request, response) => {
      setTimeout(() => response.end('late'), 3_000);
    },
    0,
    '127.0.0.1',
    limits,
  );
  try {
    const answer = await fetch(`http://127.0.0.1:${slow.port}/`, { signal: AbortSignal.timeout(15_000) });
    assert.equal(await answer.text(), 'late');
  } finally {
    slow.server.closeAllConnections();
    await closeServer(slow.server);
  }
});

test('a slowloris client that never finishes its headers is cut off', { timeout: 40_000 }, async () => {
  const { server, port } = await counting({ bodyIdleMs: 60_000, jsonBodyMs: 60_000 });
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
