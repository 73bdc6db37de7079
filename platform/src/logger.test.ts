import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

// A quiet service that stops on SIGTERM, as every service does: its shutdown logs a line or two.
const SERVICE = `
const { createLogger } = require(${JSON.stringify(require.resolve('./logger'))});
const { onShutdownSignal } = require(${JSON.stringify(require.resolve('./http/lifecycle'))});
const logger = createLogger('quiet');
setInterval(() => {}, 1000);
onShutdownSignal(logger, 5000, async () => logger.info('closing'));
logger.info('ready');
`;

test('a service whose log reader has gone (its supervisor died) still stops on SIGTERM', {
  timeout: 60_000,
}, async () => {
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['-e', SERVICE], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    assert.match(first.toString(), /ready/);
    // The reader goes away: the lines the shutdown logs now fail with EPIPE.
    child.stdout.destroy();
    // A moment for the closed pipe to reach the child before its shutdown writes to it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const outcome = await Promise.race([
      exited.then(() => 'exited'),
      new Promise((resolve) => setTimeout(resolve, 10_000, 'still running')),
    ]);
    if (outcome !== 'exited') child.kill('SIGKILL');
    assert.equal(outcome, 'exited', `round ${round}: the process did not exit within 10 s of SIGTERM`);
  }
});
