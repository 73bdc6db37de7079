import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../logger';
import { closeServer, listen } from './lifecycle';
import { createServiceApp } from './service-app';

test('/health always answers; /ready is 503 naming the dependency that failed; request ids are echoed', async () => {
  let databaseUp = true;
  const { app } = createServiceApp({
    service: 'probe',
    logger: createLogger('probe', 'silent'),
    readiness: [
      { name: 'database', check: async () => { if (!databaseUp) throw new Error('connection refused'); } },
      { name: 'cache', check: async () => {} },
    ],
  });
  const { server, port } = await listen(app, 0, '127.0.0.1');
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
      ],
    });
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} \d/);
  } finally {
    await closeServer(server);
  }
});
