import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '@learnhub/platform/logger';
import { waitUntil } from '@learnhub/platform/testing';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import {
  UploadState,
  mediaMigrations,
  UploadSessionRepository,
  mediaEntities,
  Buckets,
  videoKey,
  type VideoIntake,
  UploadCleanupProcessor,
} from '@learnhub/media/testing';
import { CronSchedule } from '@learnhub/platform/tasks';
import { JobsEngine } from '../../engine/jobs-engine';

const log = createLogger('test', 'silent');
const HOUR = 3600;
type CleanupSummary = Awaited<ReturnType<UploadCleanupProcessor['run']>>;
/** A run's summary: the counts given, every other one 0. */
const counts = (some: Partial<CleanupSummary>): CleanupSummary => ({
  expired: 0,
  chunksFreed: 0,
  mergesFinished: 0,
  mergesRolledBack: 0,
  orphansFreed: 0,
  debrisFreed: 0,
  ...some,
});
const MiB = 1024 * 1024;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
/** These tests merge nothing: merges the cleanup finishes are tested with real media processes (merge-recovery.test.ts). */
const videos: VideoIntake = {
  inspect: () => Promise.reject(new Error('no merge expected')),
  queue: () => Promise.resolve(false),
  wake: () => Promise.resolve(),
};
const mergeLease = { leaseMs: 30_000, owner: 'cleanup-test' };

for (const factory of testDatabases('abandoned-upload cleanup')) {
  describe(`abandoned-upload cleanup on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });
    let dir: string;
    let store: LocalObjectStore;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lh-upload-cleanup-'));
      store = new LocalObjectStore({ root: dir, publicUrl: 'http://files.test/files' });
    });
    after(() => rm(dir, { recursive: true, force: true }));

    /** The cleanup as a worker runs it, with the default schedule and a 24 h time-to-live. */
    const cleanup = (em = db.orm.em, cron = '*/10 * * * *') =>
      new UploadCleanupProcessor(em, CronSchedule.parse(cron), store, 24 * HOUR, videos, mergeLease);

    /** An upload session holding one stored chunk, last active `idleSeconds` ago. */
    const session = async (name: string, idleSeconds: number, state = UploadState.UPLOADING) => {
      const fileMd5 = md5(`${factory.kind}-${name}`);
      const objectKey = videoKey(fileMd5, '.mp4');
      const uploadId = await store.createMultipart(Buckets.video, objectKey, { partSize: 5 * MiB });
      const part = await store.uploadPart(Buckets.video, objectKey, uploadId, 1, Buffer.alloc(5 * MiB, 7), 5 * MiB);
      const sessions = new UploadSessionRepository(db.orm.em.fork());
      // Admitted whatever the quota: quotas are tested with the upload service.
      const { session: created } = await sessions.createAdmitted(
        {
          organisationId: 'org-1',
          fileMd5,
          fileName: `${name}.mp4`,
          fileSize: 12 * MiB,
          chunkSize: 5 * MiB,
          chunkTotal: 3,
          bucket: Buckets.video,
          objectKey,
          multipartUploadId: uploadId,
          createdBy: 'user-1',
        },
        new Date(),
        () => undefined,
      );
      await sessions.saveChunk({
        sessionId: created.id,
        index: 0,
        size: 5 * MiB,
        md5: md5('part'),
        partEtag: part.etag,
      });
      const at = new Date(Date.now() - idleSeconds * 1000);
      await db.orm.em.fork().nativeUpdate('UploadSession', { id: created.id }, { lastActivityAt: at, state });
      return { id: created.id, fileMd5, uploadId };
    };
    const reload = (fileMd5: string) => new UploadSessionRepository(db.orm.em.fork()).find('org-1', fileMd5);
    const chunkCount = async (id: string) =>
      (await new UploadSessionRepository(db.orm.em.fork()).chunkIndexes(id)).length;
    const multipartDirs = async () => readdir(join(dir, '.multipart')).catch(() => [] as string[]);

    test('sessions idle past the time-to-live lose their chunks and multipart upload and are marked expired; others are untouched', async () => {
      const abandoned = await session('abandoned', 25 * HOUR);
      const failed = await session('failed-merge', 30 * HOUR, UploadState.FAILED);
      const active = await session('active', 60);
      const completed = await session('completed', 40 * HOUR, UploadState.COMPLETED);
      const processor = cleanup();

      const summary = await processor.run(new AbortController().signal, log);

      assert.deepEqual(summary, counts({ expired: 2, chunksFreed: 2 }));
      for (const gone of [abandoned, failed]) {
        const row = await reload(gone.fileMd5);
        assert.equal(row?.state, UploadState.EXPIRED);
        assert.match(row?.failure ?? '', /abandoned: no chunk arrived for 24 h/);
        assert.equal(await chunkCount(gone.id), 0);
        assert.ok(!(await multipartDirs()).includes(gone.uploadId), 'the multipart upload was aborted');
      }
      assert.equal((await reload(active.fileMd5))?.state, UploadState.UPLOADING);
      assert.equal(await chunkCount(active.id), 1);
      assert.ok((await multipartDirs()).includes(active.uploadId));
      assert.equal((await reload(completed.fileMd5))?.state, UploadState.COMPLETED, 'finished uploads are not touched');

      assert.deepEqual(
        await processor.run(new AbortController().signal, log),
        counts({}),
        'a second run finds nothing',
      );
    });

    test('a merge nobody holds with nothing left to finish is rolled back, and a failed upload loses its chunks at once, whatever its age', async () => {
      // MERGING with no lease: a merge that began before merges held leases and whose process died; its parts are gone.
      const stuck = await session('stuck-merge', 60, UploadState.MERGING);
      await store.abortMultipart(Buckets.video, videoKey(stuck.fileMd5, '.mp4'), stuck.uploadId);
      const failed = await session('recently-failed', 60, UploadState.FAILED);
      const processor = cleanup();

      assert.deepEqual(
        await processor.run(new AbortController().signal, log),
        counts({ chunksFreed: 1, mergesRolledBack: 1 }),
      );
      const rolledBack = await reload(stuck.fileMd5);
      assert.equal(rolledBack?.state, UploadState.FAILED);
      assert.match(rolledBack?.failure ?? '', /interrupted.*upload the file again/);
      assert.equal(rolledBack?.leaseToken, null);
      assert.equal(await chunkCount(stuck.id), 0);
      assert.equal(
        (await reload(failed.fileMd5))?.state,
        UploadState.FAILED,
        'a failed upload keeps its state and reason',
      );
      assert.equal(await chunkCount(failed.id), 0);
      assert.ok(!(await multipartDirs()).includes(failed.uploadId));
    });

    test('a multipart upload no session needs (media killed before recording its session) is aborted once an hour old; young ones and those of live sessions stay', async () => {
      const twoHoursAgo = new Date(Date.now() - 2 * HOUR * 1000);
      const age = (uploadId: string) =>
        utimes(join(dir, '.multipart', uploadId, 'upload.json'), twoHoursAgo, twoHoursAgo);
      const orphanKey = videoKey(md5(`${factory.kind}-orphan`), '.mp4');
      const orphan = await store.createMultipart(Buckets.video, orphanKey, { partSize: 5 * MiB });
      await store.uploadPart(Buckets.video, orphanKey, orphan, 1, Buffer.alloc(5 * MiB, 1), 5 * MiB);
      await age(orphan);
      const young = await store.createMultipart(Buckets.video, videoKey(md5(`${factory.kind}-young`), '.mp4'));
      const live = await session('live-with-an-old-upload', 60);
      await age(live.uploadId);
      const ended = await session('completed-long-ago', 60, UploadState.COMPLETED);
      await age(ended.uploadId);
      const processor = cleanup();

      assert.deepEqual(await processor.run(new AbortController().signal, log), counts({ orphansFreed: 2 }));
      const left = await multipartDirs();
      assert.ok(
        !left.includes(orphan) && !left.includes(ended.uploadId),
        "the untracked and the ended session's uploads are aborted",
      );
      assert.ok(left.includes(young) && left.includes(live.uploadId), "a young upload and a live session's stay");
      await store.abortMultipart(Buckets.video, videoKey(md5(`${factory.kind}-young`), '.mp4'), young);
    });

    test("debris a crash left in the object store's .tmp is removed once two hours old; younger debris stays, as it may be a write in flight", async () => {
      const temp = join(dir, '.tmp');
      await mkdir(join(temp, 'old-staging'), { recursive: true });
      await writeFile(join(temp, 'old-staging', 'upload.json'), '{}');
      await writeFile(join(temp, 'old-put'), 'half a file');
      await writeFile(join(temp, 'young-put'), 'a file being written');
      const threeHoursAgo = new Date(Date.now() - 3 * HOUR * 1000);
      for (const name of ['old-staging', 'old-put']) await utimes(join(temp, name), threeHoursAgo, threeHoursAgo);
      // Younger than the cutoff: a body may idle for up to an hour before it is cut off.
      const ninetyMinutesAgo = new Date(Date.now() - 1.5 * HOUR * 1000);
      await utimes(join(temp, 'young-put'), ninetyMinutesAgo, ninetyMinutesAgo);
      const processor = cleanup();

      assert.deepEqual(await processor.run(new AbortController().signal, log), counts({ debrisFreed: 2 }));
      assert.deepEqual(await readdir(temp), ['young-put']);
      await rm(join(temp, 'young-put'));
    });

    test('the schedule runs the cleanup on exactly one of several workers when it is due', async () => {
      const abandoned = await session('scheduled', 48 * HOUR);
      const engines = ['w1', 'w2', 'w3'].map(
        (workerId) =>
          new JobsEngine(
            { workerId, heartbeatMs: 50, memberTtlMs: 500, pollMs: 1000, groupPrefix: `${factory.kind}-cleanup:` },
            [],
            [cleanup(db.orm.em.fork(), '0 3 * * *')],
            [],
            new Registry(),
            log,
          ),
      );
      await Promise.all(engines.map((engine) => engine.start()));
      try {
        const sql = (text: string, params: unknown[] = []) => db.orm.em.getConnection().execute(text, params);
        const [row] = await sql(`select * from job_schedules where name = 'upload-cleanup'`);
        assert.ok(Number(row.next_run_ms) > Date.now(), 'first due at the next 03:00 UTC');
        assert.equal((await reload(abandoned.fileMd5))?.state, UploadState.UPLOADING, 'not run before it is due');
        // An operator's "run now".
        await sql(`update job_schedules set next_run_ms = 0 where name = 'upload-cleanup'`);
        await waitUntil(
          'the abandoned upload to expire',
          async () => (await reload(abandoned.fileMd5))?.state === UploadState.EXPIRED,
          10_000,
        );
        const [after] = await sql(`select * from job_schedules where name = 'upload-cleanup'`);
        assert.ok(['w1', 'w2', 'w3'].includes(after.last_run_by));
        assert.ok(Number(after.next_run_ms) > Date.now(), 'the next run is the next due time again');
        const finishedRuns = async () => {
          const runs = await Promise.all(engines.map((engine) => engine.metrics.scheduledRuns.get()));
          return runs.flatMap((metric) => metric.values).reduce((sum, value) => sum + value.value, 0);
        };
        await waitUntil('the run to finish', async () => (await finishedRuns()) > 0, 10_000);
        assert.equal(await finishedRuns(), 1, 'exactly one worker ran it');
      } finally {
        await Promise.all(engines.map((engine) => engine.stop(1000)));
      }
    });
  });
}
