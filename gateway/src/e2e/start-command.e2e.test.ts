import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '@learnhub/platform/testing/service-process';

const startScript = join(__dirname, '..', '..', '..', 'scripts', 'start.mjs');

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lh-start-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

async function ports() {
  return { GATEWAY_PORT: String(await freePort()), CONTENT_PORT: String(await freePort()), MEDIA_PORT: String(await freePort()), SEARCH_PORT: String(await freePort()), JOBS_PORT: String(await freePort()) };
}

function start(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [startScript, '--no-build'], { env: { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, GATEWAY_HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

async function waitFor(predicate: () => boolean, what: string, output: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const alive = (port: string) => fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);

test('npm start runs every service, prints the gateway URL, serves queries and stops everything on Ctrl-C', async () => {
  const env = await ports();
  const { child, output } = start(env);
  try {
    await waitFor(() => output().includes('Learnhub is running'), 'the ready line', output);
    assert.match(output(), new RegExp(`http://localhost:${env.GATEWAY_PORT}/graphql`));
    const response = await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ courseCategories { id } }' }),
    });
    assert.equal(((await response.json()) as { data: { courseCategories: unknown[] } }).data.courseCategories.length, 12);
    const search = await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ searchCourses { total hits { id } } }' }),
    });
    assert.deepEqual(await search.json(), { data: { searchCourses: { total: 0, hits: [] } } }, 'a fresh install searches an empty index');
    assert.ok(await alive(env.JOBS_PORT));

    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output());
    for (const port of Object.values(env)) assert.equal(await alive(port), false, `port ${port} still answers after Ctrl-C`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('npm start exits non-zero with the failing service\'s log when one dies at start', async () => {
  const { MEDIA_PORT, ...others } = await ports();
  // Something else already holds media's port, so media dies while the others come up.
  const squatter = createServer().listen(Number(MEDIA_PORT), '127.0.0.1');
  await once(squatter, 'listening');
  const { child, output } = start({ ...others, MEDIA_PORT });
  try {
    const [code] = await once(child, 'exit');
    assert.notEqual(code, 0);
    assert.match(output(), /npm start: media failed to start/);
    assert.match(output(), /EADDRINUSE/);
    for (const port of Object.values(others)) assert.equal(await alive(port), false, `port ${port} still answers`);
  } finally {
    child.kill('SIGKILL');
    squatter.close();
  }
});
