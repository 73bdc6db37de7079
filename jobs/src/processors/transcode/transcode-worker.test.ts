import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { readConfig } from '@learnhub/platform/config';
import { waitUntil } from '@learnhub/platform/testing';
import { openDatabase } from '@learnhub/platform/database';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { TaskTable } from '@learnhub/platform/tasks';
import { ServiceProcessGroup } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import {
  transcodeTasks,
  mediaMigrations,
  mediaEntities,
  findFfprobe,
  FfprobeProber,
  Buckets,
  videoKey,
  makeLongLecture,
  makeTestClips,
  type TestClips,
} from '@learnhub/media/testing';
import { ffmpegsUnder } from '../../testing/ffmpeg-processes';
import { startJobsProcess, transcodeWorkDir } from '../../testing/jobs-process';
import { queueVideo } from '../../testing/queued-video';

/*
 * Transcoding through real jobs processes on each database: a worker killed mid-transcode takes
 * its ffmpeg with it and is replaced after its lease, its partial output removed by the next
 * worker to start; a stopped worker stops ffmpeg, removes its output and gives the task back; a
 * cancelled task's ffmpeg stops; a file that is not a video fails once and for good. ffmpeg is real; the clips are made by it here.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The files attempts are writing in a worker's folder (`<task>-<random>/playback.mp4`, …). */
async function partialOutputs(workDir: string): Promise<string[]> {
  const entries = await readdir(workDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name !== '.owner.json')
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

let clips: TestClips;
let longAvi: string;
before(async () => {
  clips = await makeTestClips();
  // Long enough at libx264 `medium` to be caught mid-transcode on a fast machine.
  longAvi = join(tmpdir(), `lh-long-${process.pid}.avi`);
  await makeLongLecture(longAvi, 20);
});
after(async () => {
  await clips?.remove();
  await rm(longAvi, { force: true });
});

for (const factory of testDatabases('transcoding workers')) {
  describe(`transcoding jobs processes on ${factory.kind}`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let dataDir: string;
    let store: LocalObjectStore;
    const processes = new ServiceProcessGroup();
    const prober = new FfprobeProber(findFfprobe(readConfig().media.ffprobePath));

    before(async () => {
      database = await factory.create();
      dataDir = await mkdtemp(join(tmpdir(), 'lh-transcode-workers-'));
      orm = await openDatabase({ url: database.url, entities: mediaEntities, migrations: mediaMigrations });
      store = new LocalObjectStore({ root: join(dataDir, 'objects'), publicUrl: 'http://files.test/files' });
    });
    after(async () => {
      await processes.close('SIGKILL');
      for (const pid of await ffmpegsUnder(dataDir)) process.kill(pid, 'SIGKILL');
      await orm?.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const startWorker = (name: string, env: NodeJS.ProcessEnv = {}) =>
      startJobsProcess({ processes, dataDir, databaseUrl: database.url }, name, { TRANSCODE_PRESET: 'medium', ...env });

    const seed = (file: string, extension: string, asIs = false) =>
      queueVideo(orm, store, prober, file, extension, asIs);
    const workDirOf = (workerId: string) => transcodeWorkDir(dataDir, workerId);

    /**
     * Makes a seeded AVI's stored file a FIFO that gives its first 2 MB and then nothing, as a stalled source would, so a
     * transcode of it stays running however fast the machine; returns what puts the whole file back.
     */
    const stallSource = async (fileMd5: string, original: string) => {
      const source = await store.readSource(Buckets.video, videoKey(fileMd5, '.avi'));
      assert.ok('path' in source, 'the local store is read in place');
      const stored = source.path;
      await rm(stored);
      execFileSync('mkfifo', [stored]);
      const feeder = new Socket({ fd: openSync(stored, constants.O_RDWR | constants.O_NONBLOCK), readable: false });
      feeder.write((await readFile(original)).subarray(0, 2_000_000));
      return async () => {
        feeder.destroy();
        await rm(stored);
        await store.put(Buckets.video, videoKey(fileMd5, '.avi'), await readFile(original));
      };
    };
    const sql = (text: string, params: unknown[] = []) => orm.em.getConnection().execute(text, params);
    const task = async (fileMd5: string) => (await sql('select * from media_process where file_md5 = ?', [fileMd5]))[0];
    const history = (fileMd5: string) => sql('select * from media_process_history where file_md5 = ?', [fileMd5]);
    const object = async (fileMd5: string) =>
      (await sql('select * from media_objects where file_md5 = ?', [fileMd5]))[0];

    test('a worker killed mid-transcode takes its ffmpeg with it, its partial output is removed when the next worker starts, and that worker redoes the task once the lease runs out', async () => {
      const fileMd5 = await seed(longAvi, '.avi');
      // Blocked on its input, ffmpeg writes nothing: only a kill stops it (on its own it would notice its parent gone at its next write).
      const restore = await stallSource(fileMd5, longAvi);
      const first = await startWorker(`${factory.kind}-a`);
      await waitUntil(
        'the first worker to report progress',
        async () => {
          const row = await task(fileMd5);
          return row?.lease_owner === `${factory.kind}-a` && Number(row.progress) > 0;
        },
        60_000,
      );
      const firstDir = workDirOf(`${factory.kind}-a`);
      assert.ok((await partialOutputs(firstDir)).length > 0, 'ffmpeg is writing into the worker’s folder');
      await first.stop('SIGKILL');
      const killedAt = Date.now();
      await waitUntil(
        'the killed worker’s ffmpeg to stop',
        async () => (await ffmpegsUnder(firstDir)).length === 0,
        15_000,
      );
      assert.ok((await partialOutputs(firstDir)).length > 0, 'the partial output outlived the worker');
      await restore();

      const second = await startWorker(`${factory.kind}-b`, { TRANSCODE_PRESET: 'ultrafast' });
      assert.equal(await exists(firstDir), false, 'the next worker removed the dead worker’s folder as it started');
      const [done] = await waitUntil(
        'the task to finish',
        async () => {
          const rows = await history(fileMd5);
          return rows.length > 0 && rows;
        },
        120_000,
      );
      assert.ok(Date.now() - killedAt >= 1000, 'the second worker waited for the lease');
      assert.equal(done.finished_by, `${factory.kind}-b`);
      assert.equal(Number(done.attempts), 2);
      // Time for a second history row to appear, were the task finished twice: proving none does.
      await sleep(500);
      assert.equal((await history(fileMd5)).length, 1, 'one history row');
      assert.equal(await task(fileMd5), undefined);
      const media = await object(fileMd5);
      assert.equal(media.playback_key, videoKey(fileMd5, '.mp4'));
      assert.equal(media.poster_key, videoKey(fileMd5, '.jpg'));
      const probe = await prober.probe(await store.readSource(Buckets.video, media.playback_key));
      assert.equal(probe.videoCodec, 'h264');
      assert.equal(probe.audioCodec, 'aac');
      assert.ok(Math.abs((probe.durationSeconds ?? 0) - 20) < 1, `duration ${probe.durationSeconds}`);
      assert.match(second.log(), /"msg":"task succeeded"/);
      await second.stop('SIGTERM');
    });

    test('SIGTERM mid-transcode stops ffmpeg, removes the partial output and gives the task back uncounted; a worker starting meanwhile leaves the live one’s folder alone', async () => {
      const distinct = join(dataDir, 'graceful.avi');
      await writeFile(distinct, Buffer.concat([await readFile(longAvi), Buffer.from(`graceful-${factory.kind}`)]));
      const fileMd5 = await seed(distinct, '.avi');
      const restore = await stallSource(fileMd5, distinct);
      const leaving = await startWorker(`${factory.kind}-e`, { SHUTDOWN_GRACE_MS: '1000' });
      await waitUntil('the worker to report progress', async () => Number((await task(fileMd5))?.progress) > 0, 60_000);
      const leavingDir = workDirOf(`${factory.kind}-e`);
      const partial = await partialOutputs(leavingDir);
      assert.ok(partial.length > 0, 'ffmpeg is writing into the worker’s folder');

      const starting = await startWorker(`${factory.kind}-f`);
      assert.deepEqual(
        await partialOutputs(leavingDir),
        partial,
        'a starting worker left the live worker’s output alone',
      );
      assert.ok((await ffmpegsUnder(leavingDir)).length > 0, 'and its ffmpeg running');
      assert.equal(await starting.stop('SIGTERM'), 0, starting.log());

      assert.equal(await leaving.stop('SIGTERM'), 0, leaving.log());
      await waitUntil(
        'the stopped worker’s ffmpeg to be gone',
        async () => (await ffmpegsUnder(leavingDir)).length === 0,
        2_000,
      );
      assert.equal(await exists(leavingDir), false, 'its folder and the partial output are gone');
      const released = await task(fileMd5);
      assert.deepEqual(
        [released.state, Number(released.attempts), released.lease_owner],
        ['PENDING', 0, null],
        'given back, the attempt not counted',
      );

      await restore();
      const finisher = await startWorker(`${factory.kind}-g`, { TRANSCODE_PRESET: 'ultrafast' });
      const [done] = await waitUntil(
        'another worker to finish the task',
        async () => {
          const rows = await history(fileMd5);
          return rows.length > 0 && rows;
        },
        120_000,
      );
      assert.deepEqual([done.finished_by, Number(done.attempts)], [`${factory.kind}-g`, 1]);
      await finisher.stop('SIGTERM');
    });

    test('cancelling a running task stops its ffmpeg; a retry then finishes it', async () => {
      // The long clip with a few bytes more: the same video under another MD5.
      const distinct = join(dataDir, 'distinct.avi');
      await writeFile(distinct, Buffer.concat([await readFile(longAvi), Buffer.from(`cancel-${factory.kind}`)]));
      const fileMd5 = await seed(distinct, '.avi');
      const tasks = new TaskTable(orm.em.fork(), transcodeTasks);
      const worker = await startWorker(`${factory.kind}-c`);
      await waitUntil(
        'ffmpeg to start',
        async () => (await task(fileMd5))?.state === 'PROCESSING' && (await ffmpegsUnder(dataDir)).length > 0,
        60_000,
      );
      const { id } = await task(fileMd5);
      await tasks.cancel(String(id), 'Cancelled by admin-1');
      await waitUntil('ffmpeg to stop', async () => (await ffmpegsUnder(dataDir)).length === 0, 10_000);
      // Time for the worker to write over the cancellation, were it going to: proving it does not.
      await sleep(500);
      const cancelled = await task(fileMd5);
      assert.equal(cancelled.state, 'CANCELLED', 'the worker wrote nothing over the cancellation');
      assert.equal(cancelled.last_error, 'Cancelled by admin-1');
      assert.equal((await object(fileMd5)).playback_key, null);
      await waitUntil('the worker to log the lost lease', async () => /lease lost/.test(worker.log()), 10_000);
      await tasks.retry(String(id));
      await waitUntil('the retried task to finish', async () => (await history(fileMd5)).length === 1, 120_000);
      assert.ok((await object(fileMd5)).playback_key);
      await worker.stop('SIGTERM');
    });

    test('a stored file that is not a video fails at once with a clear message, and is not retried', async () => {
      const fileMd5 = await seed(clips.noise, '.mp4', true);
      const worker = await startWorker(`${factory.kind}-d`, { TRANSCODE_PRESET: 'veryfast' });
      const row = await waitUntil(
        'the task to fail',
        async () => {
          const current = await task(fileMd5);
          return current?.state === 'FAILED' && current;
        },
        60_000,
      );
      assert.equal(Number(row.attempts), 1);
      assert.equal(row.run_at_ms, null, 'no automatic retry');
      assert.match(row.last_error, /not a video/);
      // Time in which a retry would start, to show none does.
      await sleep(1000);
      assert.equal(Number((await task(fileMd5)).attempts), 1, 'still one attempt');
      await worker.stop('SIGTERM');
    });
  });
}
