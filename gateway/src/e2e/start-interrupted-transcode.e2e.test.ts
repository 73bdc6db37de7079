import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signToken } from '@learnhub/platform/auth';
import { waitUntil } from '@learnhub/platform/testing';
import { DEV_JWT_SECRET } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { processesMentioning } from '@learnhub/platform/testing';
import { uploadPath } from '@learnhub/upload-client/node';
import { makeLongLecture, mediaMigrations, mediaEntities } from '@learnhub/media/testing';
import { graphql } from './platform-stack';
import { freeStartPorts, NpmStart } from './npm-start';

/*
 * Stopping `npm start` while a jobs worker transcodes, as a person does it (Ctrl-C in the terminal:
 * SIGINT to the whole foreground process group), as a process manager does (SIGTERM to the npm
 * process alone), and with a signal to npm or to start.mjs alone: each service gets one SIGTERM, ffmpeg stops, the partial output goes, the task is
 * handed back with the interrupted attempt not counted, and no process is left. The next
 * `npm start` on the same DATA_DIR finishes the task as its first attempt. Real npm, real ffmpeg.
 */

const TASKS =
  'query ($filter: TranscodeTaskFilter) { transcodeTasks(filter: $filter) { items { state attempts progress leaseOwner } } }';

interface Task {
  state: string;
  attempts: number;
  progress: number | null;
  leaseOwner: string | null;
}

describe('stopping npm start during a transcode', { timeout: 600_000 }, () => {
  let dataDir: string;
  let dir: string;
  let video: string;
  let ports: Awaited<ReturnType<typeof freeStartPorts>>;
  let fileMd5: string;
  let member: string;
  let admin: string;
  const current: NpmStart[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lh-start-transcode-'));
    dir = await mkdtemp(join(tmpdir(), 'lh-start-transcode-src-'));
    video = join(dir, 'lecture.avi');
    // Twenty seconds that libx264 `veryslow` needs far longer than that for, so it is caught mid-run however fast the machine.
    await makeLongLecture(video, 20);
    ports = await freeStartPorts();
    // npm start's own settings (development, its default JWT secret): nothing configured for the test but ports and DATA_DIR.
    member = await signToken({ userId: 'u-member', roles: ['member'], organisationId: 'org-video' }, DEV_JWT_SECRET);
    admin = await signToken({ userId: 'u-admin', roles: ['admin'] }, DEV_JWT_SECRET);
  });
  after(async () => {
    for (const started of current) started.cleanup();
    for (const { pid } of await processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (preset: string) => {
    const started = NpmStart.run(dataDir, {
      ...ports,
      TRANSCODE_PRESET: preset,
      TRANSCODE_CONCURRENCY: '1',
      SHUTDOWN_GRACE_MS: '3000',
    });
    current.push(started);
    await started.ready();
    return started;
  };
  const gateway = () => `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  const task = async (): Promise<Task | undefined> => {
    const result = await graphql<{ transcodeTasks: { items: Task[] } }>(
      gateway(),
      TASKS,
      { filter: { fileMd5 } },
      admin,
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.transcodeTasks.items[0];
  };
  const transcodeRoot = () => join(dataDir, 'tmp', 'transcode');
  /** Files under the workers' transcode folders other than their owner records: attempts' output. */
  const partialOutputs = async () => {
    const entries = await readdir(transcodeRoot(), { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile() && e.name !== '.owner.json').map((e) => join(e.parentPath, e.name));
  };
  const ffmpegs = async () => (await processesMentioning(dataDir)).filter((p) => /ffmpeg/.test(p.command[0] ?? ''));

  /** Waits until the worker's ffmpeg runs and has written part of its output, as attempt `attempt`. */
  const midTranscode = async (started: NpmStart, attempt: number) => {
    await waitUntil(
      `the transcode to be under way as attempt ${attempt}`,
      async () => {
        const now = await task();
        return (
          now?.state === 'PROCESSING' &&
          now.attempts === attempt &&
          (now.progress ?? 0) > 0 &&
          (await partialOutputs()).length > 0 &&
          (await ffmpegs()).length > 0
        );
      },
      120_000,
      started.output,
    );
  };

  /** What every stop must leave: one SIGTERM per service, nothing running, the task handed back uncounted, no partial output. */
  const assertStoppedGracefully = async (started: NpmStart) => {
    const [code] = await started.stopped(5, 60_000);
    const output = started.output();
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /second signal/, 'a service got more than one signal');
    const shutdowns = [...output.matchAll(/^(\w+)\s+\| .*"msg":"shutting down"/gm)];
    assert.deepEqual(shutdowns.map((m) => m[1]).sort(), ['content', 'gateway', 'jobs', 'media', 'search'], output);
    for (const [line] of shutdowns)
      assert.match(
        line,
        /"signal":"SIGTERM"/,
        'each service is stopped by start.mjs’s SIGTERM alone, never the terminal’s SIGINT',
      );
    assert.equal(output.match(/"msg":"stopped"/g)?.length, 5, `every service stopped gracefully:\n${output}`);
    assert.match(output, /task released at shutdown/);
    await waitUntil(
      'every process of the tree to be gone',
      async () => (await processesMentioning(dataDir)).length === 0,
      10_000,
      started.output,
    );
    assert.deepEqual(
      await processesMentioning(dataDir),
      [],
      'no process of npm start’s tree (node, ffmpeg, its watchdog) survives',
    );
    assert.deepEqual(await partialOutputs(), [], 'the partial output is removed');
    assert.deepEqual(await readdir(transcodeRoot()).catch(() => []), [], 'the stopped worker removed its folder');

    // Read after exit, from the database itself: handed back, not failed, the attempt not counted.
    const orm = await openDatabase({
      url: `sqlite:${join(dataDir, 'media.sqlite')}`,
      entities: mediaEntities,
      migrations: mediaMigrations,
      migrate: false,
    });
    try {
      const connection = orm.em.fork().getConnection();
      const [row] = await connection.execute(
        'select state, attempts, progress, lease_owner, lease_token, last_error from media_process where file_md5 = ?',
        [fileMd5],
      );
      assert.deepEqual(
        { ...row, attempts: Number(row.attempts) },
        { state: 'PENDING', attempts: 0, progress: null, lease_owner: null, lease_token: null, last_error: null },
      );
      assert.deepEqual(
        await connection.execute('select id from media_process_history where file_md5 = ?', [fileMd5]),
        [],
      );
    } finally {
      await orm.close();
    }
  };

  /** start.mjs itself, which npm runs as its child. */
  const supervisorPid = async () => {
    const [supervisor] = (await processesMentioning(dataDir)).filter((p) =>
      p.command[1]?.endsWith('scripts/start.mjs'),
    );
    assert.ok(supervisor, 'start.mjs runs');
    return supervisor.pid;
  };
  const stops: [string, (started: NpmStart) => unknown][] = [
    ['Ctrl-C in the terminal (SIGINT to the whole process group)', (started) => process.kill(-started.pid, 'SIGINT')],
    [
      'SIGTERM to the npm process alone (a process manager, docker stop)',
      (started) => process.kill(started.pid, 'SIGTERM'),
    ],
    ['SIGINT to the npm process alone', (started) => process.kill(started.pid, 'SIGINT')],
    ['SIGTERM to start.mjs alone', async () => process.kill(await supervisorPid(), 'SIGTERM')],
  ];
  for (const [how, stop] of stops) {
    test(`${how} mid-transcode`, async () => {
      const started = await start('veryslow');
      if (!fileMd5) fileMd5 = (await uploadPath(video, { endpoint: `${gateway()}/graphql`, token: member })).media.id;
      // Handed back, the task is claimed again at once by the next run, and counts as the first attempt again.
      await midTranscode(started, 1);
      await stop(started);
      await assertStoppedGracefully(started);
    });
  }

  test('the next npm start on the same DATA_DIR finishes the task as its first attempt', async () => {
    const started = await start('ultrafast');
    await waitUntil(
      'the transcode to finish',
      async () => {
        const result = await graphql<{ media: { transcodeState: string } }>(
          gateway(),
          'query ($id: ID!) { media(id: $id) { transcodeState } }',
          { id: fileMd5 },
          member,
        );
        assert.notEqual(result.data?.media.transcodeState, 'FAILED', started.output());
        return result.data?.media.transcodeState === 'SUCCEEDED';
      },
      180_000,
      started.output,
    );
    const done = await task();
    assert.deepEqual([done?.state, done?.attempts], ['SUCCEEDED', 1], 'the interrupted attempts were not counted');
    process.kill(-started.pid, 'SIGINT');
    const [code] = await started.stopped(5, 60_000);
    assert.equal(code, 0, started.output());
    await waitUntil(
      'every process of the tree to be gone',
      async () => (await processesMentioning(dataDir)).length === 0,
      10_000,
      started.output,
    );
  });
});
