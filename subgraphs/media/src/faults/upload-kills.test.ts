import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { MikroORM } from '@mikro-orm/core';
import { signToken } from '@learnhub/platform/auth';
import { readConfig } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { PausePoints } from '@learnhub/platform/faults';
import { createLogger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { seededRandom } from '@learnhub/platform/random';
import { processesWithEnv } from '@learnhub/platform/testing';
import { freePort } from '@learnhub/platform/testing';
import { ServiceProcessGroup } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { waitUntil } from '@learnhub/platform/testing';
import type { UploadResult } from '@learnhub/upload-client';
import { uploadPath } from '@learnhub/upload-client/node';
import { mediaMigrations } from '../migrations/migrations';
import { MediaRepository } from '../repositories/media.repository';
import { UploadSessionRepository } from '../repositories/upload-session.repository';
import { mediaEntities } from '../entities/media-entities';
import { findFfmpeg, findFfprobe } from '../video-tools/ffmpeg-binaries';
import { FfprobeProber } from '../video-tools/ffprobe-prober';
import { TranscodeQueue } from '../services/transcode-queue';
import { UploadCleanupService } from '../services/upload-cleanup.service';
import { UploadMergeService } from '../services/upload-merge.service';
import { startMediaProcess } from '../testing/media-process';

/*
 * The kill -9 fault suite for resumable uploads: real media processes (`node dist/main.js`) on
 * one database and one object store are killed with SIGKILL at random moments while several
 * clients upload videos in chunks, and at the named steps of merges (TEST_PAUSE_AT); after each
 * kill a new process starts and the clients resume. Afterwards every upload must hold the right
 * bytes, no session may be stuck, no chunk may outlive its session, no debris of a killed write
 * may outlive a cleanup run and no process may be left.
 * FAULT_SEED replays a run; FAULT_KILLS sets the kills per database (default 16).
 */

const run = promisify(execFile);
const JWT_SECRET = 'upload-kills-test-secret-long-enough-for-hs256';
const member = { userId: 'u-faults', roles: ['member' as const], organisationId: 'org-faults' };
const CHUNK = 5 * 1024 * 1024;
const KILLS = Number(process.env.FAULT_KILLS ?? 16);
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MERGE_POINTS = ['merge:leased', 'merge:joined', 'merge:verified'];
const DEADLINE_MS = 30_000;

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

const backends = testDatabases('upload kill faults').filter(
  (factory) => factory.kind === 'sqlite' || factory.kind === 'postgresql',
);

for (const factory of backends) {
  describe(`uploads survive kill -9 of media at random moments on ${factory.kind}`, { timeout: 300_000 }, () => {
    let database: TestDatabase;
    let dataDir: string;
    let clipDir: string;
    let orm: MikroORM;
    let token: string;
    let port: number;
    const processes = new ServiceProcessGroup();
    const files: string[] = [];
    let base: Buffer;
    /** A new file to upload: the clip with bytes inside its media data made its own. */
    const addVariant = async () => {
      const variant = Buffer.from(base);
      variant.write(`variant ${files.length} of the fault suite`, CHUNK + 4096, 'latin1');
      const path = join(clipDir, `lecture-${files.length}.mp4`);
      await writeFile(path, variant);
      files.push(path);
    };

    before(async () => {
      database = await factory.create();
      dataDir = await mkdtemp(join(tmpdir(), 'lh-upload-kills-'));
      clipDir = await mkdtemp(join(tmpdir(), 'lh-upload-kills-clips-'));
      token = await signToken(member, JWT_SECRET);
      orm = await openDatabase({ url: database.url, entities: mediaEntities, migrations: mediaMigrations });
      port = await freePort();
      // One lossless noisy clip of about 2.5 chunks; variants differ in bytes inside its media data, so each is its own file.
      const clip = join(clipDir, 'base.mp4');
      const ffmpeg = findFfmpeg(readConfig().media.ffmpegPath);
      await run(ffmpeg, [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=640x360:rate=25',
        '-t',
        '1.6',
        '-vf',
        'noise=alls=60:allf=t+u',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-qp',
        '0',
        '-pix_fmt',
        'yuv420p',
        clip,
      ]);
      base = await readFile(clip);
      assert.ok(base.length > 2 * CHUNK, `the clip spans several chunks (${base.length} bytes)`);
    });
    after(async () => {
      await processes.close('SIGKILL');
      await orm?.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(clipDir, { recursive: true, force: true });
    });

    const startMedia = (env: Record<string, string> = {}) =>
      startMediaProcess(
        { processes, dataDir, databaseUrl: database.url, jwtSecret: JWT_SECRET, port },
        { UPLOAD_MERGE_WAIT_SECONDS: '3', ...env },
      );
    // Straight to media (no gateway, so no chunk URLs): chunks go as multipart requests.
    const upload = (path: string, retries: number) =>
      uploadPath(path, {
        endpoint: `http://127.0.0.1:${port}/graphql`,
        token,
        transport: 'multipart',
        chunkSize: CHUNK,
        concurrency: 2,
        retries,
        retryDelayMs: 100,
        requestTimeoutMs: 15_000,
        tags: 'fault suite',
      });

    test(`${KILLS} kills at random moments of chunk uploads and merges; afterwards every upload completes with its own bytes and nothing is left behind`, async (t) => {
      const random = seededRandom(SEED);
      const counts = {
        orphansFreed: 0,
        debrisFreed: 0,
        kills: 0,
        killsMidMerge: 0,
        killsWithUploadsInFlight: 0,
        uploadsCompletedBetweenKills: 0,
        uploadsResumed: 0,
        chunksReused: 0,
      };
      const done = new Map<string, UploadResult>();
      // Why uploads broke off between kills: a connection cut by the kill is expected, anything else is shown.
      const errors: string[] = [];
      t.diagnostic(`FAULT_SEED=${SEED} FAULT_KILLS=${KILLS}`);

      while (counts.kills < KILLS) {
        // About a third of the rounds hold the first merge at a named step and kill it there.
        const point = random() < 0.35 ? MERGE_POINTS[Math.floor(random() * MERGE_POINTS.length)] : undefined;
        const media = await startMedia(point ? { TEST_PAUSE_AT: point } : {});
        // Three uploads at a time, so every round has chunks and merges in flight to kill.
        while (files.filter((path) => !done.has(path)).length < 3) await addVariant();
        const pending = files.filter((path) => !done.has(path)).slice(0, 3);
        let settled = 0;
        const uploads = pending.map((path) =>
          upload(path, 0)
            .then(
              (result) => {
                done.set(path, result);
                counts.uploadsCompletedBetweenKills++;
                if (result.reusedChunks > 0) counts.uploadsResumed++;
                counts.chunksReused += result.reusedChunks;
              },
              (error: unknown) => errors.push(`${(error as Error).name}: ${(error as Error).message}`),
            )
            .finally(() => settled++),
        );
        if (point) {
          // Held at the point, or nothing left to hold; either way, or neither by the deadline, the kill comes.
          await waitUntil(
            `media to pause at ${point}, or every upload to settle`,
            () => media.log().includes(`paused at ${point}`) || settled === uploads.length,
            DEADLINE_MS,
          ).catch(() => undefined);
          if (media.log().includes(`paused at ${point}`)) counts.killsMidMerge++;
        } else {
          // The kill comes at a random moment, or as soon as every upload settled: a wait that runs out is the point.
          await waitUntil(
            'every upload to settle',
            () => settled === uploads.length,
            Math.floor(random() * 3000),
          ).catch(() => undefined);
        }
        if (settled < uploads.length) counts.killsWithUploadsInFlight++;
        await media.stop('SIGKILL');
        counts.kills++;
        await Promise.all(uploads);
      }

      const media = await startMedia();
      try {
        for (const path of files) {
          const result = await upload(path, 5);
          if (result.reusedChunks > 0) counts.uploadsResumed++;
          counts.chunksReused += result.reusedChunks;
          const expected = md5(await readFile(path));
          assert.equal(result.media.fileMd5, expected);
          const object = await new MediaRepository(orm.em.fork()).object(expected);
          assert.ok(object, `${path}: media object recorded`);
          assert.equal(
            md5(
              Buffer.concat(
                await (
                  await new LocalObjectStore({
                    root: join(dataDir, 'objects'),
                    publicUrl: 'http://files.test/files',
                  }).get(object.bucket, object.objectKey)
                ).toArray(),
              ),
            ),
            expected,
            `${path}: the stored object holds the file's bytes`,
          );
        }
        // The cleanup schedule, run as if two hours had passed: multipart uploads that a kill cut off from their session are aborted, and what killed writes left in the store's .tmp is removed.
        const em = orm.em.fork();
        const store = new LocalObjectStore({ root: join(dataDir, 'objects'), publicUrl: 'http://files.test/files' });
        const silent = createLogger('upload-kills', 'silent');
        const videos = new TranscodeQueue(new FfprobeProber(findFfprobe(readConfig().media.ffprobePath)), store);
        const merges = new UploadMergeService(
          new UploadSessionRepository(em),
          new MediaRepository(em),
          store,
          videos,
          { leaseMs: 2000, owner: 'upload-kills' },
          silent,
          new PausePoints(),
        );
        const cleanup = await new UploadCleanupService(
          new UploadSessionRepository(em),
          store,
          24 * 3600,
          silent,
          merges,
        ).run(new Date(Date.now() + 2 * 3600 * 1000));
        counts.orphansFreed = cleanup.orphansFreed;
        counts.debrisFreed = cleanup.debrisFreed;
        assert.deepEqual(
          { ...cleanup, orphansFreed: 0, debrisFreed: 0 },
          { expired: 0, chunksFreed: 0, mergesFinished: 0, mergesRolledBack: 0, orphansFreed: 0, debrisFreed: 0 },
          'nothing else was left for the cleanup',
        );
        assert.deepEqual(
          await readdir(join(dataDir, 'objects', '.tmp')).catch(() => []),
          [],
          'no debris of a killed write outlives a cleanup run',
        );
        const connection = orm.em.fork().getConnection();
        const rows: { state: string }[] = await connection.execute('select state from upload_sessions');
        const states = rows.map((row) => row.state);
        assert.deepEqual(
          states.filter((state) => state === 'UPLOADING' || state === 'MERGING'),
          [],
          'no session is left uploading or merging',
        );
        assert.equal(
          states.filter((state) => state === 'COMPLETED').length,
          files.length,
          'one completed session per file',
        );
        const chunks: { n: number | string }[] = await connection.execute('select count(*) as n from upload_chunks');
        assert.equal(Number(chunks[0].n), 0, 'no chunk row outlives its session');
        assert.deepEqual(
          await readdir(join(dataDir, 'objects', '.multipart')).catch(() => []),
          [],
          'no chunk data outlives its session',
        );
      } finally {
        await media.stop();
      }
      await waitUntil(
        "no process started with the suite's data folder to be left",
        async () => (await processesWithEnv('DATA_DIR', dataDir)).length === 0,
        10_000,
        async () => {
          const pids = await processesWithEnv('DATA_DIR', dataDir);
          return `processes left behind: ${await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/exe`).catch(() => String(pid))))}`;
        },
      );
      const summary = `${factory.kind}: ${counts.kills} kills (${counts.killsMidMerge} held mid-merge, ${counts.killsWithUploadsInFlight} with uploads in flight), ${files.length} files uploaded (${counts.uploadsCompletedBetweenKills} completed between kills), ${counts.uploadsResumed} uploads resumed with ${counts.chunksReused} chunks stored before a kill, ${counts.orphansFreed} multipart uploads cut off from their session by a kill aborted by the cleanup, ${counts.debrisFreed} pieces of killed writes removed from .tmp; seed ${SEED}`;
      const unexpected = errors.filter(
        (message) =>
          !/NETWORK_ERROR|Could not reach|Lost the connection|socket hang up|ECONNRESET|ECONNREFUSED|other side closed|UPLOAD_MERGING|merging, ask again/.test(
            message,
          ),
      );
      t.diagnostic(summary);
      console.log(`upload kill faults: ${summary}`);
      assert.deepEqual([...new Set(unexpected)], [], 'uploads broke off only because media was killed');
    });
  });
}
