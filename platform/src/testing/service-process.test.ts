import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { freePort, ServiceProcess } from './service-process';
import { waitUntil } from './wait-until';

/*
 * Real child processes: a script that never answers its health check (a service stuck starting),
 * and a small service run by `runService` as every real one is.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Running: a zombie waiting for whoever adopted it to reap it runs no more. */
const alive = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

describe('ServiceProcess', () => {
  let dir: string;
  /** Writes its pid to PID_FILE and then idles without ever listening. */
  let stuck: string;
  /** A service under runService that answers /health on FIXTURE_PORT. */
  let service: string;
  const pids: number[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-service-process-'));
    stuck = join(dir, 'stuck.js');
    await writeFile(
      stuck,
      `require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid));\nsetInterval(() => {}, 60_000);\n`,
    );
    service = join(dir, 'service.js');
    await writeFile(
      service,
      `const http = require('node:http');
const { runService } = require(${JSON.stringify(join(__dirname, '..', 'service-main.js'))});
runService('fixture', async () => {
  const server = http.createServer((request, response) => response.end('ok'));
  await new Promise((resolve) => server.listen(Number(process.env.FIXTURE_PORT), '127.0.0.1', resolve));
  return () => new Promise((resolve) => server.close(resolve));
});
`,
    );
  });
  after(async () => {
    for (const pid of pids) if (await alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const pidOf = async (file: string) => {
    const pid = await waitUntil(
      `${file} to be written`,
      () =>
        readFile(file, 'utf8').then(
          (text) => (text ? Number(text) : undefined),
          () => undefined,
        ),
      15_000,
    );
    pids.push(pid);
    return pid;
  };

  test('a health check answered on its port by another process (a port two test runs both picked) is not taken for the service', async () => {
    const port = await freePort();
    const squatter = createServer((_request, response) => response.end('ok')).listen(port, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const pidFile = join(dir, `squatted-${randomBytes(4).toString('hex')}.pid`);
      await assert.rejects(
        ServiceProcess.start('stuck', stuck, { PID_FILE: pidFile }, `http://127.0.0.1:${port}/health`, 2_000),
        /port \d+ was answered by another process, not stuck/,
      );
      await pidOf(pidFile);
    } finally {
      squatter.close();
    }
  });

  test('a service killed while it starts fails its start at once, saying so, instead of waiting out the deadline', async () => {
    const pidFile = join(dir, `killed-${randomBytes(4).toString('hex')}.pid`);
    const port = await freePort();
    const starting = ServiceProcess.start(
      'stuck',
      stuck,
      { PID_FILE: pidFile },
      `http://127.0.0.1:${port}/health`,
      20_000,
    );
    const failed = assert.rejects(starting, /stuck exited \(SIGKILL\) at start/);
    process.kill(await pidOf(pidFile), 'SIGKILL');
    await failed;
  });

  test('a service whose test process dies, even by SIGKILL, stops by itself', async () => {
    const port = await freePort();
    // A stand-in for a test file's process: it starts the service and prints its pid.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(__dirname, 'service-process.js'))}).ServiceProcess.start('fixture', ${JSON.stringify(service)}, { FIXTURE_PORT: '${port}' }, 'http://127.0.0.1:${port}/health')
          .then((started) => console.log(started.pid), (error) => { console.error(error); process.exit(1); });
        setInterval(() => {}, 60_000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    pids.push(parent.pid!);
    const [line] = await Promise.race([
      (async () => {
        for await (const text of createInterface({ input: parent.stdout! })) return [text];
        return [];
      })(),
      sleep(30_000).then(() => []),
    ]);
    assert.match(line ?? '', /^\d+$/, 'the stand-in started the service');
    const servicePid = Number(line);
    pids.push(servicePid);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    parent.kill('SIGKILL');
    await waitUntil('the service to stop', async () => !(await alive(servicePid)), 15_000);
  });
});
