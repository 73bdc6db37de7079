import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from './circuit-breaker';

/** A peer the test switches on and off, counting the calls that reached it. */
function peer() {
  const state = { up: true, calls: 0, probes: 0 };
  const call = async () => {
    state.calls++;
    if (!state.up) throw new Error('connect ECONNREFUSED');
    return 'answer';
  };
  return { state, call };
}

test('consecutive outages open the circuit: calls then fail at once without reaching the peer; a background probe closes it', async () => {
  const { state, call } = peer();
  const changes: CircuitState[] = [];
  const breaker = new CircuitBreaker({
    peer: 'Redis',
    failureThreshold: 3,
    retryMs: 50,
    probe: async () => {
      state.probes++;
      await call();
    },
    onChange: (next) => changes.push(next),
  });
  assert.equal(await breaker.run(call), 'answer');
  state.up = false;
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(call), /ECONNREFUSED/);
  assert.equal(breaker.state, 'open');
  const reached = state.calls;
  const refused = await breaker.run(call).catch((error: unknown) => error);
  assert.ok(refused instanceof CircuitOpenError);
  assert.equal(refused.code, 'CIRCUIT_OPEN');
  assert.match(refused.message, /Redis is unreachable \(connect ECONNREFUSED\)/);
  assert.equal(state.calls, reached, 'an open circuit does not call the peer');

  // Still down: the probe fails and the circuit stays open. The sleep lets retryMs (50) pass.
  await sleep(60);
  await breaker.settled();
  assert.equal(state.probes, 1);
  assert.equal(breaker.state, 'open');

  state.up = true;
  // Lets retryMs pass again, so the next call finds a probe due.
  await sleep(60);
  await assert.rejects(breaker.run(call), CircuitOpenError, 'the call that finds a probe due is not the probe');
  await breaker.settled();
  assert.equal(breaker.state, 'closed');
  assert.equal(await breaker.run(call), 'answer');
  assert.deepEqual(changes, ['open', 'closed']);
});

test('errors the peer answers with, and a success between failures, do not open the circuit', async () => {
  const breaker = new CircuitBreaker({
    peer: 'Redis',
    failureThreshold: 2,
    retryMs: 50,
    probe: async () => {},
    isOutage: (error) => !(error instanceof TypeError),
  });
  for (let i = 0; i < 5; i++) await assert.rejects(breaker.run(() => Promise.reject(new TypeError('WRONGTYPE'))));
  assert.equal(breaker.state, 'closed');
  await assert.rejects(breaker.run(() => Promise.reject(new Error('timeout'))));
  await breaker.run(async () => 'ok');
  await assert.rejects(breaker.run(() => Promise.reject(new Error('timeout'))));
  assert.equal(breaker.state, 'closed');
  await assert.rejects(breaker.run(() => Promise.reject(new Error('timeout'))));
  assert.equal(breaker.state, 'open');
});
