import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkerWorkDirs } from './worker-work-dirs';

const STALE_MS = 60_000;

/** A real process that claims its work folder under `root` as a jobs worker does, and lives until killed; it joins `children` as it is spawned, so the suite kills it however the start ends. */
async function startOwner(root: string, workerId: string, children: ChildProcess[]): Promise<ChildProcess> {
  const script = `const { WorkerWorkDirs } = require(${JSON.stringify(join(__dirname, 'worker-work-dirs.js'))});
new WorkerWorkDirs(${JSON.stringify(root)}, ${JSON.stringify(workerId)}, ${STALE_MS}).claim().then(() => console.log('claimed'));
setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) =>
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('claimed') && resolve()),
      ),
      once(child, 'exit').then(() => Promise.reject(new Error(`${workerId} exited before claiming its folder`))),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`${workerId} did not claim its folder within 10 s`)), 10_000)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return child;
}

describe('WorkerWorkDirs', () => {
  let root: string;
  const children: ChildProcess[] = [];
  before(async () => (root = await mkdtemp(join(tmpdir(), 'lh-work-dirs-'))));
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  const folders = async () => (await readdir(root)).sort();

  test('a sweep removes the folder of a worker killed with -9 and keeps those of live workers, its own included', async () => {
    const [dead, alive] = await Promise.all([
      startOwner(root, 'killed', children),
      startOwner(root, 'running', children),
    ]);
    await writeFile(join(root, 'killed', 'partial.mp4'), 'partial output');
    await writeFile(join(root, 'running', 'partial.mp4'), 'partial output');
    dead.kill('SIGKILL');
    await once(dead, 'exit');

    const me = new WorkerWorkDirs(root, 'sweeper', STALE_MS);
    assert.deepEqual(await me.sweep(), ['killed']);
    await me.claim();
    assert.deepEqual(await folders(), ['running', 'sweeper']);
    assert.equal(
      await readFile(join(root, 'running', 'partial.mp4'), 'utf8'),
      'partial output',
      'a live worker’s output is untouched',
    );
    assert.deepEqual(await me.sweep(), [], 'its own folder stays');

    alive.kill('SIGKILL');
    await once(alive, 'exit');
    assert.deepEqual(
      await new WorkerWorkDirs(root, 'running', STALE_MS).sweep(),
      ['running'],
      'a restart under the same id clears what the last run left',
    );
    await me.release();
    assert.deepEqual(await folders(), []);
  });

  test('a folder of another machine is kept while its owner touches it, and removed once silent longer than the stale time; so is one with no owner', async () => {
    const old = new Date(Date.now() - 2 * STALE_MS);
    for (const name of ['elsewhere-fresh', 'elsewhere-silent']) {
      await mkdir(join(root, name));
      await writeFile(
        join(root, name, '.owner.json'),
        JSON.stringify({ workerId: name, machine: 'another-machine', pid: process.pid }),
      );
    }
    await utimes(join(root, 'elsewhere-silent', '.owner.json'), old, old);
    await mkdir(join(root, 'ownerless-old'));
    await utimes(join(root, 'ownerless-old'), old, old);
    await mkdir(join(root, 'ownerless-new'));

    const removed = await new WorkerWorkDirs(root, 'sweeper', STALE_MS).sweep();
    assert.deepEqual(removed.sort(), ['elsewhere-silent', 'ownerless-old']);
    assert.deepEqual(await folders(), ['elsewhere-fresh', 'ownerless-new']);
  });
});
