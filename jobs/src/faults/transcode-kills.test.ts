import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { readConfig } from '@learnhub/platform/config';
import { waitUntil } from '@learnhub/platform/testing';
import { openDatabase } from '@learnhub/platform/database';
import { sqlRows } from '@learnhub/platform/database';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { seededRandom } from '@learnhub/platform/random';
import { TaskTable } from '@learnhub/platform/tasks';
import { processesWithEnv } from '@learnhub/platform/testing';
import type { ServiceProcess } from '@learnhub/platform/testing';
import { ServiceProcessGroup } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import {
  transcodeTasks,
  mediaMigrations,
  mediaEntities,
  findFfprobe,
  makeLongLecture,
  FfprobeProber,
  Buckets,
} from '@learnhub/media/testing';
import { ffmpegsUnder, watchdogsOf } from '../testing/ffmpeg-processes';
import { startJobsProcess, transcodeWorkDir } from '../testing/jobs-process';
import { queueVideo } from '../testing/queued-video';
import { sleep } from '../testing/scratch-fleet';

/*
 * The kill -9 fault suite for transcoding: real jobs workers (`node dist/main.js`) on one database
 * and one data folder transcode real AVI clips with real ffmpeg, two at a time, and are killed with
 * SIGKILL at random moments: at a random point of a transcode's progress, or at a random time after
 * the worker started (claiming, storing the MP4 and poster, committing, between tasks). After each
 * kill a new worker starts. The killed worker's ffmpeg and its watchdog must die with it, and the
 * next worker must remove its work folder as it starts. Afterwards every task has succeeded with a
 * playable MP4 and nothing is left: no process, no work folder, no debris of a killed write in the
 * object store after a cleanup run. A task whose last attempt a kill ended is FAILED by design; it
 * is retried as an admin would. FAULT_SEED replays a run; TRANSCODE_KILLS sets the kills per
 * database (default 8).
 */

const KILLS = Number(process.env.TRANSCODE_KILLS ?? 8);
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TASKS = 4;
const CLIP_SECONDS = 12;
const ABANDONED = /The worker running the last attempt stopped/;
const DEADLINE_MS = 60_000;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const backends = testDatabases('transcode kill faults').filter(
  (factory) => factory.kind === 'sqlite' || factory.kind === 'postgresql',
);

let clip: string;
let clipDir: string;
before(async () => {
  clipDir = await mkdtemp(join(tmpdir(), 'lh-transcode-kills-clips-'));
  clip = join(clipDir, 'lecture.avi');
  // MPEG-4 part 2 with MPEG audio, as old uploads are: re-encoded, long enough at libx264 `medium` to be killed mid-way.
  await makeLongLecture(clip, CLIP_SECONDS);
});
after(() => rm(clipDir, { recursive: true, force: true }));

for (const factory of backends) {
  describe(`transcoding survives kill -9 of jobs workers at random moments on ${factory.kind}`, {
    timeout: 300_000,
  }, () => {
    let database: TestDatabase;
    let dataDir: string;
    let orm: MikroORM;
    let store: LocalObjectStore;
    const processes = new ServiceProcessGroup();
    const prober = new FfprobeProber(findFfprobe(readConfig().media.ffprobePath));

    before(async () => {
      database = await factory.create();
      dataDir = await mkdtemp(join(tmpdir(), 'lh-transcode-kills-'));
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

    const sql = (text: string, params: unknown[] = []) => sqlRows(orm.em.fork(), text, params);
    const startWorker = (workerId: string) =>
      startJobsProcess({ processes, dataDir, databaseUrl: database.url }, workerId, {
        TRANSCODE_PRESET: 'medium',
        TRANSCODE_CONCURRENCY: '2',
      });

    test(`${KILLS} kills of jobs workers mid-transcode; afterwards every task has succeeded with a playable MP4 and nothing is left behind`, async (t) => {
      const random = seededRandom(SEED);
      const counts = {
        kills: 0,
        killsAtProgress: 0,
        killsWithNothingLeft: 0,
        killsMidTranscode: 0,
        ffmpegsKilled: 0,
        foldersRemovedAtStart: 0,
        retriedByAdmin: 0,
        attemptsUsedUpByKills: 0,
        debrisFreed: 0,
      };
      t.diagnostic(`FAULT_SEED=${SEED} TRANSCODE_KILLS=${KILLS}`);
      const tasks = new TaskTable(orm.em.fork(), transcodeTasks);
      const fileMd5s: string[] = [];
      for (let i = 0; i < TASKS; i++) {
        // The same video under another MD5: bytes after the AVI's end are not read.
        const variant = join(clipDir, `lecture-${factory.kind}-${i}.avi`);
        await writeFile(variant, Buffer.concat([await readFile(clip), Buffer.from(`variant ${i} on ${factory.kind}`)]));
        fileMd5s.push(await queueVideo(orm, store, prober, variant, '.avi'));
      }
      /** Queues again, as an admin would, the tasks whose last attempt a killed worker ran; any other failure fails the suite. */
      const retryUsedUp = async () => {
        for (const row of await sql(
          `select id, attempts, last_error from media_process where state = 'FAILED' and run_at_ms is null`,
        )) {
          assert.match(
            String(row.last_error),
            ABANDONED,
            `task ${String(row.id)} failed for another reason than a kill`,
          );
          await tasks.retry(String(row.id));
          counts.retriedByAdmin++;
          counts.attemptsUsedUpByKills += Number(row.attempts);
        }
      };
      const workers: ServiceProcess[] = [];
      const killed: string[] = [];

      for (let round = 1; round <= KILLS; round++) {
        const workerId = `${factory.kind}-${round}`;
        const worker = await startWorker(workerId);
        workers.push(worker);
        const previous = killed.at(-1);
        if (previous) {
          assert.equal(
            await exists(transcodeWorkDir(dataDir, previous)),
            false,
            `${workerId} removed the folder of ${previous}, killed before it started`,
          );
          counts.foldersRemovedAtStart++;
        }
        await retryUsedUp();
        // Two kills in three at a random point of a transcode's progress, the others at a random time after the start.
        const atPercent = random() < 0.67 ? 1 + Math.floor(random() * 90) : undefined;
        if (atPercent === undefined) {
          await sleep(Math.floor(random() * 3000));
        } else {
          const moment = await waitUntil(
            `${workerId} to pass ${atPercent}% of a transcode`,
            async () => {
              // Tasks whose last attempt the previous kill ended become FAILED only once its lease has run out.
              await retryUsedUp();
              if (
                (
                  await sql(`select progress from media_process where state = 'PROCESSING' and lease_owner = ?`, [
                    workerId,
                  ])
                ).some((row) => Number(row.progress) >= atPercent)
              )
                return 'at progress';
              // Every task done already (a fast machine): the kill lands on an idle worker.
              return (await sql('select id from media_process')).length === 0 && 'nothing left';
            },
            DEADLINE_MS,
            async () =>
              `tasks: ${JSON.stringify(await sql('select id, state, attempts, progress, lease_owner, last_error from media_process'))}\n${worker.log().slice(-3000)}`,
          );
          if (moment === 'at progress') counts.killsAtProgress++;
          else counts.killsWithNothingLeft++;
        }
        const workDir = transcodeWorkDir(dataDir, workerId);
        const running = await ffmpegsUnder(workDir);
        await worker.stop('SIGKILL');
        counts.kills++;
        killed.push(workerId);
        if (running.length > 0) counts.killsMidTranscode++;
        counts.ffmpegsKilled += running.length;
        // ffmpeg dies with its worker: its watchdog's pipe closed with the worker, and it kills ffmpeg's process group.
        await waitUntil(
          `the ffmpeg of ${workerId} (${running.join(', ')}) and its watchdog to die with it`,
          async () => (await ffmpegsUnder(workDir)).length === 0 && (await watchdogsOf(running)).length === 0,
          15_000,
        );
      }

      const finisher = await startWorker(`${factory.kind}-final`);
      workers.push(finisher);
      assert.equal(
        await exists(transcodeWorkDir(dataDir, killed.at(-1)!)),
        false,
        'the last worker killed had its folder removed by the next to start',
      );
      counts.foldersRemovedAtStart++;
      await waitUntil(
        'every task to succeed',
        async () => {
          await retryUsedUp();
          return Number((await sql('select count(*) as n from media_process_history'))[0].n) === TASKS;
        },
        180_000,
        async () =>
          `live: ${JSON.stringify(await sql('select id, state, attempts, progress, lease_owner, last_error from media_process'))}\n${finisher.log().slice(-3000)}`,
      );
      assert.deepEqual(await sql('select id, state from media_process'), [], 'no task is left live');
      const history = await sql('select file_md5, attempts from media_process_history');
      const attempts = counts.attemptsUsedUpByKills + history.reduce((sum, row) => sum + Number(row.attempts), 0);
      for (const fileMd5 of fileMd5s) {
        const [media] = await sql('select playback_key, poster_key from media_objects where file_md5 = ?', [fileMd5]);
        assert.ok(media.playback_key && media.poster_key, `${fileMd5}: the MP4 and the poster are recorded`);
        const probe = await prober.probe(await store.readSource(Buckets.video, String(media.playback_key)));
        assert.deepEqual([probe.videoCodec, probe.audioCodec], ['h264', 'aac'], `${fileMd5}: H.264 and AAC`);
        assert.ok(
          Math.abs((probe.durationSeconds ?? 0) - CLIP_SECONDS) < 1,
          `${fileMd5}: the whole clip (${probe.durationSeconds} s)`,
        );
        assert.ok(
          (await store.stat(Buckets.video, String(media.poster_key)))!.size > 0,
          `${fileMd5}: the poster is stored`,
        );
      }

      // What killed writes left in the object store: aged as if two hours had passed, then the cleanup schedule is run now, by the live worker.
      const temp = join(dataDir, 'objects', '.tmp');
      const debris = await readdir(temp).catch(() => [] as string[]);
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000 - 60_000);
      for (const name of debris) await utimes(join(temp, name), twoHoursAgo, twoHoursAgo);
      const cleanupRuns = () =>
        finisher
          .log()
          .split('\n')
          .filter(
            (line) => line.includes('"msg":"scheduled run finished"') && line.includes('"schedule":"upload-cleanup"'),
          );
      const earlierRuns = cleanupRuns().length;
      await sql(`update job_schedules set next_run_ms = 0 where name = 'upload-cleanup'`);
      // An operator's "run now"; a run due by the clock may come first, so every run since counts.
      const runs = await waitUntil(
        'the cleanup schedule to run',
        () => cleanupRuns().length > earlierRuns && cleanupRuns().slice(earlierRuns),
        30_000,
        () => finisher.log().slice(-3000),
      );
      counts.debrisFreed = runs.reduce(
        (sum, line) => sum + Number((JSON.parse(line) as { debrisFreed: number }).debrisFreed),
        0,
      );
      assert.equal(counts.debrisFreed, debris.length, 'the cleanup removed every piece a killed write left');
      assert.deepEqual(await readdir(temp).catch(() => []), [], 'no object-store debris is left');

      assert.equal(await finisher.stop('SIGTERM'), 0, finisher.log());
      assert.deepEqual(
        await readdir(join(dataDir, 'tmp', 'transcode')),
        [],
        "no transcode work folder is left: the killed workers' were removed, the last worker removed its own",
      );
      const removed = workers.flatMap((worker) =>
        worker
          .log()
          .split('\n')
          .filter((line) => line.includes('"msg":"removed the transcode work folders of workers that are gone"'))
          .flatMap((line) => (JSON.parse(line) as { removed: string[] }).removed),
      );
      assert.deepEqual(
        [...removed].sort(),
        [...killed].sort(),
        "each killed worker's folder was removed once, by a live worker, and no live worker's",
      );

      await waitUntil(
        "no process started with the suite's data folder to be left (workers, ffmpeg, watchdogs)",
        async () => (await processesWithEnv('DATA_DIR', dataDir)).length === 0,
        10_000,
        async () => {
          const pids = await processesWithEnv('DATA_DIR', dataDir);
          return `left: ${(await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/exe`).catch(() => String(pid))))).join(', ')}`;
        },
      );
      assert.ok(counts.killsMidTranscode > 0, 'at least one kill landed while ffmpeg ran');

      const summary = `${factory.kind}: ${counts.kills} kills (${counts.killsAtProgress} at a point of a transcode's progress, ${counts.killsWithNothingLeft} with every task done, ${counts.killsMidTranscode} with ffmpeg running, ${counts.ffmpegsKilled} ffmpeg processes died with their worker), ${TASKS} tasks succeeded after ${attempts} attempts (${counts.retriedByAdmin} retried by an admin after kills used up their attempts), ${counts.foldersRemovedAtStart} work folders of killed workers removed by the next worker's start (${removed.length} in all), ${counts.debrisFreed} pieces of killed writes removed from the object store; seed ${SEED}`;
      t.diagnostic(summary);
      console.log(`transcode kill faults: ${summary}`);
    });
  });
}
