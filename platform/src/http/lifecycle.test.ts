import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

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
