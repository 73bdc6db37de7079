import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { waitUntil } from '@learnhub/platform/testing';
import { freeStartPorts as ports, NpmStart } from './npm-start';

let dataDir: string;
// The gateway secret the first run generated; later runs on the same DATA_DIR must reuse it.
let firstSecret = '';
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lh-start-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

const start = (env: NodeJS.ProcessEnv, how: 'npm' | 'direct' = 'npm') => NpmStart.run(dataDir, env, how);
const alive = (port: string) =>
  fetch(`http://127.0.0.1:${port}/health`).then(
    () => true,
    () => false,
  );

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

test('npm start runs every service, serves queries, and a Ctrl-C to its process group stops each service once, gracefully', {
  timeout: 120_000,
}, async () => {
  const env = await ports();
  const run = start(env);
  const { child, output } = run;
  try {
    await run.ready();
    assert.match(output(), new RegExp(`http://localhost:${env.GATEWAY_PORT}/graphql`));
    await assertServes(env.GATEWAY_PORT, output);
    const search = await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ searchCourses { total hits { id } } }' }),
    });
    assert.deepEqual(
      await search.json(),
      { data: { searchCourses: { total: 0, hits: [] } } },
      'a fresh install searches an empty index',
    );
    assert.ok(await alive(env.JOBS_PORT));

    // The generated gateway secret is kept for CLIs run beside npm start, readable by its owner only.
    const secretFile = join(dataDir, 'gateway-secret');
    firstSecret = await readFile(secretFile, 'utf8');
    assert.match(firstSecret, /^[0-9a-f]{48}\n$/);
    assert.equal((await stat(secretFile)).mode & 0o777, 0o600);

    process.kill(-child.pid!, 'SIGINT');
    const [code] = await run.stopped();
    assert.equal(code, 0, output());
    assert.doesNotMatch(output(), /second signal/, 'each service got one signal');
    assert.equal(output().match(/"msg":"stopped"/g)?.length, 5, `every service stopped gracefully:\n${output()}`);
    for (const port of Object.values(env))
      assert.equal(await alive(port), false, `port ${port} still answers after Ctrl-C`);
  } finally {
    run.cleanup();
  }
});

test('a service killed outright is restarted, after a longer wait if it dies again soon, while the others keep serving; SIGTERM to the npm process stops everything', {
  timeout: 120_000,
}, async () => {
  const env = await ports();
  const run = start(env);
  const { child, output } = run;
  try {
    await run.ready();
    const first = run.servicePids().get('content')!;
    process.kill(first, 'SIGKILL');
    await waitUntil('the crash report', () => output().includes('npm start: content died (SIGKILL)'), 10_000, output);
    assert.equal(await alive(env.GATEWAY_PORT), true, 'the gateway keeps serving while content is down');
    await waitUntil('content to be restarted', () => output().includes('npm start: content is back'), 60_000, output);
    const second = run.servicePids().get('content')!;
    assert.notEqual(second, first);
    await assertServes(env.GATEWAY_PORT, output);
    // Dying again soon after: the wait before the next restart doubles.
    process.kill(second, 'SIGKILL');
    await waitUntil(
      'the longer wait to be reported',
      () => output().includes('npm start: restarting content in 2 s'),
      10_000,
      output,
    );
    await waitUntil(
      'content to be restarted again',
      () => output().match(/npm start: content is back/g)?.length === 2,
      60_000,
      output,
    );
    await assertServes(env.GATEWAY_PORT, output);
    assert.equal(
      await readFile(join(dataDir, 'gateway-secret'), 'utf8'),
      firstSecret,
      'the secret is created once and reused',
    );

    // What a supervisor or `docker stop` sends: to npm alone, not its group.
    process.kill(child.pid!, 'SIGTERM');
    await run.stopped();
    assert.doesNotMatch(output(), /second signal/);
    for (const port of Object.values(env))
      assert.equal(await alive(port), false, `port ${port} still answers after SIGTERM`);
  } finally {
    run.cleanup();
  }
});

test('SIGINT to the npm process alone stops everything gracefully', { timeout: 120_000 }, async () => {
  const env = await ports();
  const run = start(env);
  const { child, output } = run;
  try {
    await run.ready();
    process.kill(child.pid!, 'SIGINT');
    const [code] = await run.stopped();
    assert.equal(code, 0, output());
    assert.equal(output().match(/"msg":"stopped"/g)?.length, 5, `every service stopped gracefully:\n${output()}`);
  } finally {
    run.cleanup();
  }
});

test('services stop on their own when start.mjs is killed outright', { timeout: 120_000 }, async () => {
  const env = await ports();
  const run = start(env, 'direct');
  try {
    await run.ready();
    process.kill(run.pid, 'SIGKILL');
    await run.stopped();
    for (const port of Object.values(env)) assert.equal(await alive(port), false, `port ${port} still answers`);
  } finally {
    run.cleanup();
  }
});

test('a port in use (even by something answering /health) is reported by its setting before any service starts', {
  timeout: 60_000,
}, async () => {
  const { GATEWAY_PORT, ...others } = await ports();
  const squatter = createHttpServer((_request, response) => response.end('ok')).listen(
    Number(GATEWAY_PORT),
    '127.0.0.1',
  );
  await once(squatter, 'listening');
  const run = start({ ...others, GATEWAY_PORT });
  const { child, output } = run;
  try {
    const [code] = await once(child, 'exit');
    assert.equal(code, 1, output());
    assert.match(
      output(),
      new RegExp(`npm start: port ${GATEWAY_PORT} \\(GATEWAY_PORT\\) is in use by another process`),
    );
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started/);
  } finally {
    run.cleanup();
    squatter.close();
  }
});

test('a port taken while the other services start is reported before the service that needs it starts', {
  timeout: 120_000,
}, async () => {
  const env = await ports();
  const run = start(env);
  const { child, output } = run;
  // The gateway starts last, once the subgraphs answer: something takes its port meanwhile and answers /health.
  const squatter = createHttpServer((_request, response) => response.end('ok'));
  try {
    await waitUntil(
      'the first service to start',
      () => output().includes('npm start: started content'),
      60_000,
      output,
    );
    squatter.listen(Number(env.GATEWAY_PORT), '127.0.0.1');
    await once(squatter, 'listening');
    await waitUntil(
      'npm start to stop or claim to run',
      () => child.exitCode !== null || output().includes('Learnhub is running'),
      60_000,
      output,
    );
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started gateway/);
    assert.match(
      output(),
      new RegExp(`npm start: port ${env.GATEWAY_PORT} \\(GATEWAY_PORT\\) is in use by another process`),
    );
    const [code] = await run.stopped(4);
    assert.equal(code, 1, output());
  } finally {
    run.cleanup();
    squatter.close();
  }
});

test('a port fetch refuses to call (6000) is reported by its setting before any service starts', {
  timeout: 60_000,
}, async () => {
  const run = start({ ...(await ports()), SEARCH_PORT: '6000' });
  const { child, output } = run;
  try {
    const [code] = await once(child, 'exit');
    assert.equal(code, 1, output());
    assert.match(output(), /npm start: port 6000 \(SEARCH_PORT\) is one Node's fetch refuses/);
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started/);
  } finally {
    run.cleanup();
  }
});

test('a gateway secret file readable by others is refused, by the rule every service applies, before any service starts', {
  timeout: 60_000,
}, async () => {
  const exposedDir = await mkdtemp(join(tmpdir(), 'lh-start-exposed-'));
  const secretFile = join(exposedDir, 'gateway-secret');
  await writeFile(secretFile, `${'ab'.repeat(24)}\n`, { mode: 0o644 });
  await chmod(secretFile, 0o644);
  const run = NpmStart.run(exposedDir, await ports(), 'npm');
  const { child, output } = run;
  try {
    await waitUntil(
      'npm start to stop or claim to run',
      () => child.exitCode !== null || output().includes('Learnhub is running'),
      60_000,
      output,
    );
    assert.equal(child.exitCode, 1, output());
    assert.match(
      output(),
      new RegExp(`npm start: ${secretFile} holds the gateway secret but is readable by group or others: run chmod 600`),
    );
    assert.doesNotMatch(output(), /Learnhub is running|npm start: started/);
  } finally {
    run.cleanup();
    await rm(exposedDir, { recursive: true, force: true });
  }
});
