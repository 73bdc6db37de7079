import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, ServiceProcess } from '@learnhub/platform/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { openMediaDatabase } from '@learnhub/media/testing';
import { migrateOwnedDatabases } from './testing/owned-databases';

test('the jobs process serves health, readiness and the queue metrics, and stops cleanly on SIGTERM', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lh-jobs-'));
  const port = await freePort();
  await migrateOwnedDatabases({ DATA_DIR: dataDir });
  const jobs = await ServiceProcess.start(
    'jobs',
    join(__dirname, 'main.js'),
    { JOBS_PORT: String(port), DATA_DIR: dataDir, NODE_ENV: 'test' },
    `http://127.0.0.1:${port}/health`,
  );
  try {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    assert.equal(ready.status, 200);
    // Each dependency under its own name, so an operator can tell which one a 503 is about.
    const { checks } = (await ready.json()) as { checks: { name: string }[] };
    assert.deepEqual(
      checks.map((check) => check.name),
      ['media database', 'content database', 'object store', 'membership'],
    );
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /process_resident_memory_bytes\{service="jobs"\}/);
    for (const state of ['pending', 'processing', 'retrying', 'stopped']) {
      assert.match(metrics, new RegExp(`jobs_queue_depth\\{queue="transcode",state="${state}",service="jobs"\\} 0`));
    }
    for (const name of [
      'oldest_pending_age_seconds',
      'claimed_total',
      'succeeded_total',
      'failed_total',
      'lease_lost_total',
    ]) {
      assert.match(metrics, new RegExp(`jobs_${name}\\{queue="transcode",service="jobs"\\} 0`));
    }
    assert.equal(await jobs.stop('SIGTERM'), 0, jobs.log());
    assert.match(jobs.log(), /"msg":"jobs engine stopped"/);
    assert.match(jobs.log(), /"msg":"stopped"/);
  } finally {
    await jobs.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a malformed setting stops the process with a message naming the variable', async () => {
  const { spawnSync } = await import('node:child_process');
  const dataDir = await mkdtemp(join(tmpdir(), 'lh-jobs-cron-'));
  try {
    const badCron = spawnSync(process.execPath, [join(__dirname, 'main.js')], {
      env: { ...process.env, JOBS_PORT: '0', DATA_DIR: dataDir, UPLOAD_CLEANUP_CRON: '61 * * * *' },
      encoding: 'utf8',
    });
    assert.equal(badCron.status, 1);
    // The start-up failure is logged as JSON, hence the escaped quotes.
    assert.match(
      badCron.stdout + badCron.stderr,
      /UPLOAD_CLEANUP_CRON=\\"61 \* \* \* \*\\" is not a valid schedule: minute field/,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  const result = spawnSync(process.execPath, [join(__dirname, 'main.js')], {
    env: { ...process.env, JOBS_PORT: 'abc' },
    encoding: 'utf8',
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /JOBS_PORT="abc" must be a whole number/);
});

test('a worker never migrates the databases content and media own: it waits for their services, then stops naming the one missing', async () => {
  const { spawnSync } = await import('node:child_process');
  const dataDir = await mkdtemp(join(tmpdir(), 'lh-jobs-unmigrated-'));
  try {
    const result = spawnSync(process.execPath, [join(__dirname, 'main.js')], {
      env: { ...process.env, JOBS_PORT: '0', DATA_DIR: dataDir, NODE_ENV: 'test', JOBS_SCHEMA_WAIT_SECONDS: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(
      result.stdout + result.stderr,
      /The media database still lacks migrations .* start the media service, which applies them/,
    );
    const media = await openMediaDatabase(`sqlite:${join(dataDir, 'media.sqlite')}`, { migrate: false });
    try {
      const tables = await media.em
        .getConnection()
        .execute<{ name: string }[]>(`select name from sqlite_master where type = 'table' and name = 'media_process'`);
      assert.deepEqual(tables, [], "the worker created none of media's tables");
    } finally {
      await media.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('`npm run jobs -- --workers 2` starts two more workers that join the queue, and Ctrl-C stops both cleanly', async () => {
  const { spawn } = await import('node:child_process');
  const dataDir = await mkdtemp(join(tmpdir(), 'lh-jobs-scale-'));
  await migrateOwnedDatabases({ DATA_DIR: dataDir });
  const root = join(__dirname, '../..');
  const child = spawn(process.execPath, [join(root, 'scripts/jobs.mjs'), '--workers', '2'], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'test', JOBS_HEARTBEAT_MS: '200' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await waitUntil(
      'both workers to be ready',
      () => (output.match(/"msg":"jobs ready"/g) ?? []).length >= 2,
      30_000,
      () => output,
    );
    assert.equal((output.match(/"msg":"jobs ready"/g) ?? []).length, 2, output);
    const workerIds = [...output.matchAll(/"workerId":"([^"]+)","msg":"jobs ready"/g)].map((m) => m[1]);
    assert.equal(new Set(workerIds).size, 2, 'each worker has its own id');
    const ports = [...output.matchAll(/"port":(\d+),"workerId":"[^"]+","msg":"jobs ready"/g)].map((m) => Number(m[1]));
    for (const port of ports) assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    await waitUntil(
      'both workers to join the transcoding queue and split it',
      () => output.includes('"shard":"0/2"') && output.includes('"shard":"1/2"'),
      30_000,
      () => output,
    );
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.equal((output.match(/"msg":"jobs engine stopped"/g) ?? []).length, 2, output);
  } finally {
    child.kill('SIGKILL');
    // The workers run in their own process groups; their default ids end in their pids.
    for (const [, pid] of output.matchAll(/"workerId":"[^"]*-(\d+)"/g)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  }
});
