import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '@learnhub/platform/testing/service-process';

const root = join(__dirname, '..', '..', '..');
const startScript = join(root, 'scripts', 'start.mjs');

let dataDir: string;
// The gateway secret the first run generated; later runs on the same DATA_DIR must reuse it.
let firstSecret = '';
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lh-start-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

async function ports() {
  return { GATEWAY_PORT: String(await freePort()), CONTENT_PORT: String(await freePort()), MEDIA_PORT: String(await freePort()), SEARCH_PORT: String(await freePort()), JOBS_PORT: String(await freePort()) };
}

/**
 * Runs `npm start -- --no-build` as a terminal would (its own process group, so the group can be
 * sent a Ctrl-C), or start.mjs directly with `direct`.
 */
function start(env: NodeJS.ProcessEnv, how: 'npm' | 'direct' = 'npm'): { child: ChildProcess; output: () => string } {
  const [command, args] = how === 'npm' ? ['npm', ['start', '--', '--no-build']] : [process.execPath, [startScript, '--no-build']];
  const child = spawn(command as string, args as string[], {
    cwd: root,
    detached: true,
    env: { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, GATEWAY_HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: '5000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, output: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const alive = (port: string) => fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);
const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The pids start.mjs reports for its services, in start order. */
const servicePids = (output: string) => new Map([...output.matchAll(/npm start: started (\w+) \(pid (\d+)\)/g)].map((m) => [m[1], Number(m[2])]));
const allPids = (output: string) => [...output.matchAll(/npm start: started \w+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));

async function stopped(child: ChildProcess, output: () => string, started = 5) {
  const exit = child.exitCode !== null || child.signalCode !== null ? [child.exitCode, child.signalCode] : await once(child, 'exit');
  assert.ok(allPids(output()).length >= started, `start.mjs reports the pid of each service it starts:\n${output()}`);
  // Every service start.mjs ever started is gone: none is left serving with nobody to stop it.
  await waitFor(() => allPids(output()).every((pid) => !running(pid)), 'every service process to be gone', output, 10_000);
  return exit;
}

/** The gateway answers a query that needs the content subgraph. */
async function assertServes(port: string, output: () => string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ courseCategories { id } }' }),
  });
  const body = (await response.json()) as { data?: { courseCategories: unknown[] } };
  assert.equal(body.data?.courseCategories.length, 12, `${JSON.stringify(body)}\n${output()}`);
}

function killGroup(child: ChildProcess) {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function cleanup(child: ChildProcess, output: () => string) {
  killGroup(child);
  for (const pid of allPids(output())) if (running(pid)) process.kill(pid, 'SIGKILL');
}

test('npm start runs every service, serves queries, and a Ctrl-C to its process group stops each service once, gracefully', { timeout: 120_000 }, async () => {
  const env = await ports();
  const { child, output } = start(env);
  try {
    await waitFor(() => output().includes('Learnhub is running'), 'the ready line', output);
    assert.match(output(), new RegExp(`http://localhost:${env.GATEWAY_PORT}/graphql`));
    await assertServes(env.GATEWAY_PORT, output);
    const search = await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ searchCourses { total hits { id } } }' }),
    });
    assert.deepEqual(await search.json(), { data: { searchCourses: { total: 0, hits: [] } } }, 'a fresh install searches an empty index');
    assert.ok(await alive(env.JOBS_PORT));

    // The generated gateway secret is kept for CLIs run beside npm start, readable by its owner only.
    const secretFile = join(dataDir, 'gateway-secret');
    firstSecret = await readFile(secretFile, 'utf8');
    assert.match(firstSecret, /^[0-9a-f]{48}\n$/);
    assert.equal((await stat(secretFile)).mode & 0o777, 0o600);

    process.kill(-child.pid!, 'SIGINT');
    const [code] = await stopped(child, output);
    assert.equal(code, 0, output());
    assert.doesNotMatch(output(), /second signal/, 'each service got one signal');
    assert.equal(output().match(/"msg":"stopped"/g)?.length, 5, `every service stopped gracefully:\n${output()}`);
    for (const port of Object.values(env)) assert.equal(await alive(port), false, `port ${port} still answers after Ctrl-C`);
  } finally {
    cleanup(child, output);
  }
});

test('a service killed outright is restarted, after a longer wait if it dies again soon, while the others keep serving; SIGTERM to the npm process stops everything', { timeout: 120_000 }, async () => {
  const env = await ports();
  const { child, output } = start(env);
  try {
    await waitFor(() => output().includes('Learnhub is running'), 'the ready line', output);
    const first = servicePids(output()).get('content')!;
    process.kill(first, 'SIGKILL');
    await waitFor(() => output().includes('npm start: content died (SIGKILL)'), 'the crash report', output, 10_000);
    assert.equal(await alive(env.GATEWAY_PORT), true, 'the gateway keeps serving while content is down');
    await waitFor(() => output().includes('npm start: content is back'), 'content to be restarted', output);
    const second = servicePids(output()).get('content')!;
    assert.notEqual(second, first);
    await assertServes(env.GATEWAY_PORT, output);
    // Dying again soon after: the wait before the next restart doubles.
    process.kill(second, 'SIGKILL');
    await waitFor(() => output().includes('npm start: restarting content in 2 s'), 'the longer wait to be reported', output, 10_000);
    await waitFor(() => output().match(/npm start: content is back/g)?.length === 2, 'content to be restarted again', output);
    await assertServes(env.GATEWAY_PORT, output);
    assert.equal(await readFile(join(dataDir, 'gateway-secret'), 'utf8'), firstSecret, 'the secret is created once and reused');

    // What a supervisor or `docker stop` sends: to npm alone, not its group.
    process.kill(child.pid!, 'SIGTERM');
    await stopped(child, output);
    assert.doesNotMatch(output(), /second signal/);
    for (const port of Object.values(env)) assert.equal(await alive(port), false, `port ${port} still answers after SIGTERM`);
  } finally {
    cleanup(child, output);
  }
});

test('SIGINT to the npm process alone stops everything gracefully', { timeout: 120_000 }, async () => {
  const env = await ports();
  const { child, output } = start(env);
  try {
    await waitFor(() => output().includes('Learnhub is running'), 'the ready line', output);
    process.kill(child.pid!, 'SIGINT');
    const [code] = await stopped(child, output);
    assert.equal(code, 0, output());
    assert.equal(output().match(/"msg":"stopped"/g)?.length, 5, `every service stopped gracefully:\n${output()}`);
  } finally {
    cleanup(child, output);
  }
});

test('services stop on their own when start.mjs is killed outright', { timeout: 120_000 }, async () => {
  const env = await ports();
  const { child, output } = start(env, 'direct');
  try {
    await waitFor(() => output().includes('Learnhub is running'), 'the ready line', output);
    process.kill(child.pid!, 'SIGKILL');
    await stopped(child, output);
    for (const port of Object.values(env)) assert.equal(await alive(port), false, `port ${port} still answers`);
  } finally {
    cleanup(child, output);
  }
});

test('a port in use (even by something answering /health) is reported by its setting before any service starts', { timeout: 60_000 }, async () => {
  const { GATEWAY_PORT, ...others } = await ports();
  const squatter = createHttpServer((_request, response) => response.end('ok')).listen(Number(GATEWAY_PORT), '127.0.0.1');
  await once(squatter, 'listening');
  const { child, output } = start({ ...others, GATEWAY_PORT });
  try {
    const [code] = await once(child, 'exit');
    assert.equal(code, 1, output());
    assert.match(output(), new RegExp(`npm start: port ${GATEWAY_PORT} \\(GATEWAY_PORT\\) is in use by another process`));
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started/);
  } finally {
    cleanup(child, output);
    squatter.close();
  }
});

test('a port taken while the other services start is reported before the service that needs it starts', { timeout: 120_000 }, async () => {
  const env = await ports();
  const { child, output } = start(env);
  // The gateway starts last, once the subgraphs answer: something takes its port meanwhile and answers /health.
  const squatter = createHttpServer((_request, response) => response.end('ok'));
  try {
    await waitFor(() => output().includes('npm start: started content'), 'the first service to start', output);
    squatter.listen(Number(env.GATEWAY_PORT), '127.0.0.1');
    await once(squatter, 'listening');
    await waitFor(() => child.exitCode !== null || output().includes('Learnhub is running'), 'npm start to stop or claim to run', output);
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started gateway/);
    assert.match(output(), new RegExp(`npm start: port ${env.GATEWAY_PORT} \\(GATEWAY_PORT\\) is in use by another process`));
    const [code] = await stopped(child, output, 4);
    assert.equal(code, 1, output());
  } finally {
    cleanup(child, output);
    squatter.close();
  }
});

test('a port fetch refuses to call (6000) is reported by its setting before any service starts', { timeout: 60_000 }, async () => {
  const { child, output } = start({ ...(await ports()), SEARCH_PORT: '6000' });
  try {
    const [code] = await once(child, 'exit');
    assert.equal(code, 1, output());
    assert.match(output(), /npm start: port 6000 \(SEARCH_PORT\) is one Node's fetch refuses/);
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started/);
  } finally {
    cleanup(child, output);
  }
});
