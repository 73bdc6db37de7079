import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { createLogger } from '../logger';
import { closeServer, listen } from './lifecycle';
import { isLoopback } from './ops-access';
import { createServiceApp } from './service-app';

/** An address of this machine other than loopback, so a request can arrive from outside 127.0.0.0/8. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((nic) => nic && nic.family === 'IPv4' && !nic.internal)?.address;

async function probeApp(env: 'production' | 'development', opsToken?: string) {
  const { app } = createServiceApp({
    service: 'probe',
    logger: createLogger('probe', 'silent'),
    config: { env, http: { corsOrigins: [], bodyIdleMs: 30_000, jsonBodyMs: 10_000, opsToken } },
    readiness: [{ name: 'database', check: async () => {} }],
  });
  return listen(app, 0, '0.0.0.0', { bodyIdleMs: 30_000, jsonBodyMs: 10_000 });
}

const statusOf = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text() };
};
const NOT_FOUND = { status: 404, body: '{"error":"Not found."}' };

test('/health always answers; /ready is 503 naming the dependency that failed; request ids are echoed', async () => {
  let databaseUp = true;
  const { app } = createServiceApp({
    service: 'probe',
    logger: createLogger('probe', 'silent'),
    config: { env: 'test', http: { corsOrigins: [], bodyIdleMs: 30_000, jsonBodyMs: 10_000 } },
    readiness: [
      {
        name: 'database',
        check: async () => {
          if (!databaseUp) throw new Error('connection refused');
        },
      },
      { name: 'cache', check: async () => {} },
      { name: 'membership', check: async () => 'in the database while Redis is unreachable' },
    ],
  });
  const { server, port } = await listen(app, 0, '127.0.0.1', { bodyIdleMs: 30_000, jsonBodyMs: 10_000 });
  const base = `http://127.0.0.1:${port}`;
  try {
    const health = await fetch(`${base}/health`, { headers: { 'x-request-id': 'probe-1' } });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('x-request-id'), 'probe-1');
    assert.equal((await fetch(`${base}/ready`)).status, 200);

    databaseUp = false;
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      status: 'not ready',
      service: 'probe',
      checks: [
        { name: 'database', ok: false, error: 'connection refused' },
        { name: 'cache', ok: true },
        { name: 'membership', ok: true, detail: 'in the database while Redis is unreachable' },
      ],
    });
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.match(
      await (await fetch(`${base}/metrics`)).text(),
      /http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} \d/,
    );
  } finally {
    await closeServer(server);
  }
});

test('in production, /ready and /metrics answer only the OPS_TOKEN bearer; /health stays open', async () => {
  const { server, port } = await probeApp('production', 'ops-token-for-the-probe');
  const base = `http://127.0.0.1:${port}`;
  try {
    for (const path of ['/ready', '/metrics']) {
      assert.deepEqual(await statusOf(`${base}${path}`), NOT_FOUND, `${path} without a token, even from loopback`);
      assert.deepEqual(
        await statusOf(`${base}${path}`, { authorization: 'Bearer ops-token-for-the-prob' }),
        NOT_FOUND,
        `${path} with a wrong token`,
      );
      assert.deepEqual(
        await statusOf(`${base}${path}`, { authorization: 'ops-token-for-the-probe' }),
        NOT_FOUND,
        `${path} without "Bearer"`,
      );
      assert.equal(
        (await statusOf(`${base}${path}`, { authorization: 'Bearer ops-token-for-the-probe' })).status,
        200,
        path,
      );
    }
    assert.equal((await statusOf(`${base}/health`)).status, 200);
  } finally {
    await closeServer(server);
  }
});

test('in production without OPS_TOKEN, /ready and /metrics answer only loopback', {
  skip: !outsideAddress && 'this machine has no non-loopback IPv4 address',
}, async () => {
  const { server, port } = await probeApp('production');
  try {
    for (const path of ['/ready', '/metrics']) {
      assert.equal((await statusOf(`http://127.0.0.1:${port}${path}`)).status, 200, `${path} from loopback`);
      assert.deepEqual(
        await statusOf(`http://${outsideAddress}:${port}${path}`),
        NOT_FOUND,
        `${path} from ${outsideAddress}`,
      );
      assert.deepEqual(
        await statusOf(`http://${outsideAddress}:${port}${path}`, { authorization: 'Bearer anything' }),
        NOT_FOUND,
      );
    }
    assert.equal((await statusOf(`http://${outsideAddress}:${port}/health`)).status, 200);
  } finally {
    await closeServer(server);
  }
});

test('outside production, /ready and /metrics are open to anyone', {
  skip: !outsideAddress && 'this machine has no non-loopback IPv4 address',
}, async () => {
  const { server, port } = await probeApp('development');
  try {
    for (const path of ['/ready', '/metrics'])
      assert.equal((await statusOf(`http://${outsideAddress}:${port}${path}`)).status, 200, path);
  } finally {
    await closeServer(server);
  }
});

test('loopback is 127.0.0.0/8, ::1 and IPv4-mapped 127.x, nothing else', () => {
  for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])
    assert.equal(isLoopback(address), true, address);
  for (const address of [
    '192.0.2.2',
    '10.0.0.1',
    '::ffff:10.0.0.1',
    'fd00::2',
    '::',
    '0.0.0.0',
    '128.0.0.1',
    '1127.0.0.1',
    undefined,
  ]) {
    assert.equal(isLoopback(address), false, String(address));
  }
});
