import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { processesWithEnv } from './live-processes';
import { freePort } from './service-process';
import { ServiceProcessGroup } from './service-process-group';
import { waitUntil } from './wait-until';

/*
 * What left jobs workers running after a kill test had timed out: its body went on starting
 * workers after its `after` hook had stopped the ones it knew of. Real processes here: a script
 * that never answers its health check, as a service still starting.
 */

let dir: string;
let stuck: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lh-process-group-'));
  stuck = join(dir, 'stuck.js');
  await writeFile(
    stuck,
    `require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid));\nsetInterval(() => {}, 60_000);\n`,
  );
});
after(async () => {
  for (const pid of await processesWithEnv('GROUP_TEST_DIR', dir)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

test('closing a group stops a process still starting, and a start after closing is refused, so a test body running on past its cleanup leaves nothing behind', async () => {
  const group = new ServiceProcessGroup();
  const pidFile = join(dir, 'starting.pid');
  const env = { GROUP_TEST_DIR: dir, PID_FILE: pidFile };
  const starting = group.start('starting', stuck, env, `http://127.0.0.1:${await freePort()}/health`, 60_000);
  const failed = assert.rejects(starting, /starting exited \(SIGTERM\) at start/);
  await waitUntil(
    'the process to write its pid',
    async () => (await readFile(pidFile, 'utf8').catch(() => '')) !== '',
    15_000,
  );

  await group.close();
  await failed;
  await assert.rejects(
    group.start('late', stuck, env, `http://127.0.0.1:${await freePort()}/health`),
    (error: Error) => {
      assert.match(error.message, /late was not started: the processes of this suite were stopped already/);
      return true;
    },
  );
  assert.deepEqual(await processesWithEnv('GROUP_TEST_DIR', dir), [], 'no process of the group is left');
});
