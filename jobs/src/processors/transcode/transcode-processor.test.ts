import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { Registry } from 'prom-client';
import { readConfig } from '@learnhub/platform/config';
import { waitUntil } from '@learnhub/platform/testing';
import { openDatabase } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { TaskTable } from '@learnhub/platform/tasks';
import { startS3rverStore } from '@learnhub/platform/testing';
import {
  MediaType,
  transcodeTasks,
  mediaMigrations,
  MediaRepository,
  mediaEntities,
  findFfmpeg,
  findFfprobe,
  FfprobeProber,
  Buckets,
  videoKey,
  makeTestClips,
  type TestClips,
  TranscodeQueue,
  FfmpegTranscoder,
  TranscodeProcessor,
} from '@learnhub/media/testing';
import { JobsEngine } from '../../engine/jobs-engine';

/*
 * The transcoding processor in an in-process engine, on the local store (ffmpeg reads the file
 * in place) and over the real S3 protocol (s3rver in-process: ffmpeg reads a presigned URL).
 */

const log = createLogger('test', 'silent');
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const prober = new FfprobeProber(findFfprobe(readConfig().media.ffprobePath));

let clips: TestClips;
before(async () => {
  clips = await makeTestClips();
});
after(() => clips?.remove());

const stores: Array<[string, () => Promise<{ store: ObjectStore; close(): Promise<void> }>]> = [
  [
    'the local store',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'lh-transcode-local-'));
      return {
        store: new LocalObjectStore({ root: dir, publicUrl: 'http://files.test/files' }),
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
  ['S3 (s3rver)', startS3rverStore],
];

for (const [name, open] of stores) {
  describe(`transcoding on ${name}`, () => {
    let dir: string;
    let orm: MikroORM;
    let store: ObjectStore;
    let closeStore: () => Promise<void>;
    let engine: JobsEngine;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lh-transcode-processor-'));
      orm = await openDatabase({
        url: `sqlite:${join(dir, 'media.sqlite')}`,
        entities: mediaEntities,
        migrations: mediaMigrations,
      });
      ({ store, close: closeStore } = await open());
      const processor = new TranscodeProcessor(
        new TaskTable(orm.em.fork(), transcodeTasks),
        store,
        new FfmpegTranscoder(findFfmpeg(readConfig().media.ffmpegPath)),
        prober,
        {
          concurrency: 2,
          lease: { leaseMs: 10_000, renewEveryMs: 1_000, backoff: { baseMs: 100, maxMs: 1_000 } },
          stallMs: 30_000,
          workDir: join(dir, 'work'),
        },
      );
      engine = new JobsEngine(
        { workerId: 'w1', heartbeatMs: 100, memberTtlMs: 1_000, pollMs: 50, groupPrefix: 'test:' },
        [processor],
        [],
        [],
        new Registry(),
        log,
      );
      await engine.start();
    });
    after(async () => {
      await engine?.stop(1_000);
      await orm?.close();
      await closeStore?.();
      await rm(dir, { recursive: true, force: true });
    });

    /** Stores a clip and records it with its transcoding task, as a merge does. */
    const merge = async (file: string, extension: string) => {
      const bytes = await readFile(file);
      const fileMd5 = md5(bytes);
      const object = {
        fileMd5,
        type: MediaType.VIDEO,
        mimeType: 'video/x-msvideo',
        size: bytes.length,
        bucket: Buckets.video,
        objectKey: videoKey(fileMd5, extension),
      };
      await store.put(object.bucket, object.objectKey, bytes);
      const queue = new TranscodeQueue(prober, store);
      const decision = await queue.inspect(object);
      await new MediaRepository(orm.em.fork()).record(
        {
          ...object,
          durationSeconds: decision.probe?.durationSeconds,
          width: decision.probe?.width,
          height: decision.probe?.height,
        },
        { organisationId: 'org-1', fileName: `clip${extension}`, createdBy: 'u-1' },
        (tx) => queue.queue(tx, object, decision),
      );
      engine.wake(transcodeTasks.queue);
      return fileMd5;
    };
    const finished = (fileMd5: string) =>
      waitUntil(
        `the task of ${fileMd5} to finish`,
        async () => {
          const [row] = await orm.em
            .getConnection()
            .execute('select * from media_process_history where file_md5 = ?', [fileMd5]);
          if (row) return row;
          const [live] = await orm.em
            .getConnection()
            .execute('select state, last_error from media_process where file_md5 = ?', [fileMd5]);
          assert.notEqual(live?.state, 'FAILED', live?.last_error);
          return undefined;
        },
        60_000,
        undefined,
        100,
      );
    /** Downloads a stored object and probes it. */
    const probeStored = async (key: string) => {
      const file = join(dir, `probe-${Date.now()}.mp4`);
      await pipeline(await store.get(Buckets.video, key), createWriteStream(file));
      return prober.probe({ path: file });
    };

    test('an AVI becomes an H.264/AAC MP4 with a poster, and the media points at it', async () => {
      const fileMd5 = await merge(clips.avi, '.avi');
      const done = await finished(fileMd5);
      assert.equal(done.finished_by, 'w1');
      const [media] = await orm.em.getConnection().execute('select * from media_objects where file_md5 = ?', [fileMd5]);
      assert.equal(media.playback_key, videoKey(fileMd5, '.mp4'));
      const info = await store.stat(Buckets.video, media.playback_key);
      assert.equal(info?.contentType, 'video/mp4');
      const probe = await probeStored(media.playback_key);
      assert.deepEqual([probe.videoCodec, probe.audioCodec], ['h264', 'aac']);
      assert.equal((await store.stat(Buckets.video, media.poster_key))?.contentType, 'image/jpeg');
      assert.ok(await store.stat(Buckets.video, videoKey(fileMd5, '.avi')), 'the original is kept');
    });

    test('an H.264/AAC MKV is remuxed beside its original', async () => {
      const fileMd5 = await merge(clips.mkv, '.mkv');
      await finished(fileMd5);
      const [media] = await orm.em
        .getConnection()
        .execute('select playback_key from media_objects where file_md5 = ?', [fileMd5]);
      const probe = await probeStored(media.playback_key);
      assert.equal(probe.videoCodec, 'h264');
      assert.ok(probe.formatNames.includes('mp4'));
    });
  });
}
