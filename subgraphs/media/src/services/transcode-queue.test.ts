import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { readConfig } from '@learnhub/platform/config';
import { sqlRows } from '@learnhub/platform/database';
import { AppError } from '@learnhub/platform/errors';
import { startS3rverStore } from '@learnhub/platform/testing';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaType } from '../entities/media-object.entity';
import { MediaProcess, transcodeTasks } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';
import { mediaMigrations } from '../migrations/migrations';
import { mediaEntities } from '../entities/media-entities';
import { findFfmpeg, findFfprobe } from '../video-tools/ffmpeg-binaries';
import { FfprobeProber } from '../video-tools/ffprobe-prober';
import type { MediaProber, ProbeSource } from '../video-tools/media-prober';
import { makeTestClips, type TestClips } from '../video-tools/test-clips';
import { TranscodeQueue, type StoredObject } from './transcode-queue';

const md5 = (seed: string) => createHash('md5').update(seed).digest('hex');
const videoObject = (seed: string, extension: string) => {
  const fileMd5 = md5(seed);
  return {
    fileMd5,
    type: MediaType.VIDEO,
    bucket: 'video',
    objectKey: `${fileMd5[0]}/${fileMd5[1]}/${fileMd5}/${fileMd5}${extension}`,
  };
};

/** A prober that records what it was asked and answers like a playable MP4. */
class RecordingProber implements MediaProber {
  readonly sources: ProbeSource[] = [];
  async probe(source: ProbeSource) {
    this.sources.push(source);
    return { formatNames: ['mov', 'mp4'], videoCodec: 'h264', audioCodec: 'aac' };
  }
}

let clips: TestClips;
/** The AAC track of the playable clip alone, in MP4: sound but no picture. */
let audioOnly: string;
let audioDir: string;
before(async () => {
  clips = await makeTestClips();
  audioDir = await mkdtemp(join(tmpdir(), 'lh-audio-only-'));
  audioOnly = join(audioDir, 'audio-only.m4a');
  await promisify(execFile)(findFfmpeg(readConfig().media.ffmpegPath), [
    '-v',
    'error',
    '-y',
    '-i',
    clips.mp4,
    '-vn',
    '-c:a',
    'copy',
    audioOnly,
  ]);
});
after(async () => {
  await clips?.remove();
  if (audioDir) await rm(audioDir, { recursive: true, force: true });
});

for (const factory of testDatabases('transcode queue')) {
  describe(`TranscodeQueue with ffprobe and a local store on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });
    const prober = new FfprobeProber(findFfprobe(readConfig().media.ffprobePath));
    let dir: string;
    let store: LocalObjectStore;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lh-transcode-queue-'));
      store = new LocalObjectStore({ root: dir, publicUrl: 'http://files.test/files' });
    });
    after(() => rm(dir, { recursive: true, force: true }));

    /** What a merge does: inspect the stored file, then queue in the transaction that records it, on its own EntityManager. */
    const intake = async (object: StoredObject, using: MediaProber = prober) => {
      const queue = new TranscodeQueue(using, store);
      const decision = await queue.inspect(object);
      const queued = await db.orm.em.fork().transactional((em) => queue.queue(em, object, decision));
      return { decision, queued };
    };
    const stored = async (seed: string, clip: string, extension: string) => {
      const object = videoObject(`${factory.kind}-${seed}`, extension);
      await store.put(object.bucket, object.objectKey, createReadStream(clip));
      return object;
    };
    const tasks = (fileMd5: string) => db.orm.em.fork().find(MediaProcess, { fileMd5 });
    const refusedAsNotAVideo = (message: RegExp) => (error: unknown) => {
      assert.ok(error instanceof AppError && error.code === 'BAD_USER_INPUT', String(error));
      assert.equal(error.details.reason, 'NOT_A_VIDEO');
      assert.match(error.message, message);
      assert.ok(!error.message.includes(dir), 'the server path stays out of the message');
      return true;
    };

    test('an H.264/AAC MP4 is playable as is: probed in place, nothing queued', async () => {
      const object = await stored('mp4', clips.mp4, '.mp4');
      const { decision, queued } = await intake(object);
      assert.equal(decision.needed, false);
      assert.equal(queued, false);
      assert.equal(decision.probe?.videoCodec, 'h264');
      assert.equal(decision.probe?.width, 160);
      assert.deepEqual(await tasks(object.fileMd5), []);
    });

    test('an MPEG-4 part 2 AVI is queued once, however often it is asked', async () => {
      const object = await stored('avi', clips.avi, '.avi');
      const first = await intake(object);
      assert.equal(first.decision.needed, true);
      assert.equal(first.queued, true);
      assert.equal(first.decision.probe?.videoCodec, 'mpeg4');
      assert.equal((await intake(object)).queued, true);
      const concurrent = await Promise.all(Array.from({ length: 4 }, () => intake(object)));
      assert.ok(concurrent.every(({ queued }) => queued));

      const [task, ...others] = await tasks(object.fileMd5);
      assert.deepEqual(others, []);
      assert.equal(task?.state, TaskState.PENDING);
      assert.equal(task?.attempts, 0);
      assert.equal(task?.bucket, 'video');
      assert.equal(task?.objectKey, object.objectKey);
    });

    test('the task carries what the probe found, and is claimable at once', async () => {
      const object = await stored('avi-facts', clips.avi, '.avi');
      const { decision } = await intake(object);
      const [task] = await tasks(object.fileMd5);
      assert.equal(task?.videoCodec, 'mpeg4');
      assert.equal(task?.audioCodec, decision.probe?.audioCodec);
      assert.match(task?.audioCodec ?? '', /^mp[23]$/);
      assert.equal(task?.durationSeconds, decision.probe?.durationSeconds);
      assert.ok(Math.abs((task?.durationSeconds ?? 0) - 1) < 0.2, `about one second, got ${task?.durationSeconds}`);
      assert.ok(task?.runAtMs && Math.abs(task.runAtMs - Date.now()) < 60_000, 'due from when it was queued');
      assert.equal(task?.maxAttempts, 3);
      assert.equal(task?.leaseToken, null);

      // A worker reads the task as the queue decodes its row, probe included.
      const payload = async () =>
        transcodeTasks.payloadOf(
          (await sqlRows(db.orm.em.fork(), 'select * from media_process where file_md5 = ?', [object.fileMd5]))[0],
        );
      const probed = { videoCodec: 'mpeg4', audioCodec: task?.audioCodec, durationSeconds: task?.durationSeconds };
      assert.deepEqual(await payload(), {
        fileMd5: object.fileMd5,
        bucket: 'video',
        objectKey: object.objectKey,
        probed,
      });
      await db.orm.em.fork().nativeUpdate(MediaProcess, { fileMd5: object.fileMd5 }, { videoCodec: null });
      assert.equal((await payload()).probed, undefined, 'without a stored codec the worker probes for itself');
    });

    test('an existing task is left as it is, and a finished one is not queued again', async () => {
      const object = await stored('avi-failed', clips.avi, '.avi');
      await intake(object);
      await db.orm.em
        .fork()
        .nativeUpdate(
          MediaProcess,
          { fileMd5: object.fileMd5 },
          { state: TaskState.FAILED, attempts: 3, runAtMs: null, lastError: 'broken' },
        );
      assert.equal((await intake(object)).queued, true);
      const [task, ...others] = await tasks(object.fileMd5);
      assert.deepEqual(others, []);
      assert.deepEqual(
        [task?.state, task?.attempts, task?.runAtMs, task?.lastError],
        [TaskState.FAILED, 3, null, 'broken'],
      );

      // A succeeded task lives in the history: the file is transcoded, so another merge of it queues nothing.
      const em = db.orm.em.fork();
      em.create(MediaProcessHistory, {
        id: task!.id,
        fileMd5: object.fileMd5,
        bucket: object.bucket,
        objectKey: object.objectKey,
        attempts: 1,
        finishedBy: 'worker-1',
        finishedAtMs: Date.now(),
        createdAt: task!.createdAt,
      });
      await em.flush();
      await em.nativeDelete(MediaProcess, { fileMd5: object.fileMd5 });
      assert.equal((await intake(object)).queued, true);
      assert.deepEqual(await tasks(object.fileMd5), []);
    });

    test('an H.264 MKV is not playable in browsers: queued', async () => {
      const object = await stored('mkv', clips.mkv, '.mkv');
      const { decision, queued } = await intake(object);
      assert.equal(queued, true);
      assert.deepEqual(decision.probe?.formatNames, ['matroska', 'webm']);
      assert.equal((await tasks(object.fileMd5)).length, 1);
    });

    test('bytes that are no video are refused with NOT_A_VIDEO and queue nothing', async () => {
      const object = await stored('noise', clips.noise, '.mp4');
      await assert.rejects(intake(object), refusedAsNotAVideo(/is not a video that can be played or converted/));
      assert.deepEqual(await tasks(object.fileMd5), []);
    });

    test('sound without a picture is refused with NOT_A_VIDEO and queues nothing', async () => {
      const object = await stored('audio-only', audioOnly, '.mp4');
      await assert.rejects(intake(object), refusedAsNotAVideo(/holds only aac audio and no video/));
      assert.deepEqual(await tasks(object.fileMd5), []);
    });

    test('images and documents are never probed', async () => {
      const recording = new RecordingProber();
      for (const type of [MediaType.IMAGE, MediaType.DOCUMENT]) {
        const object = { ...videoObject(`${factory.kind}-${type}`, '.bin'), type };
        assert.deepEqual(await intake(object, recording), { decision: { needed: false }, queued: false });
        assert.deepEqual(await tasks(object.fileMd5), []);
      }
      assert.deepEqual(recording.sources, []);
    });

    test('a local object is probed in place, at its file', async () => {
      const recording = new RecordingProber();
      const object = videoObject(`${factory.kind}-where`, '.mp4');
      await intake(object, recording);
      assert.deepEqual(recording.sources, [{ path: join(dir, 'video', ...object.objectKey.split('/')) }]);
    });
  });
}

describe('TranscodeQueue with ffprobe and an S3 store (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof startS3rverStore>> | undefined;
  before(async () => {
    s3 = await startS3rverStore();
  });
  after(() => s3?.close());

  test('a stored video is probed by ffprobe through the presigned URL the store gives', async () => {
    const object = videoObject('s3-avi', '.avi');
    await s3!.store.put(object.bucket, object.objectKey, createReadStream(clips.avi));
    const recording = new RecordingProber();
    await new TranscodeQueue(recording, s3!.store).inspect(object);
    const [source] = recording.sources;
    assert.ok(source && 'url' in source, `probed ${JSON.stringify(source)}, not a URL`);
    assert.match(source.url, /X-Amz-Signature=/);
    const decision = await new TranscodeQueue(
      new FfprobeProber(findFfprobe(readConfig().media.ffprobePath)),
      s3!.store,
    ).inspect(object);
    assert.equal(decision.needed, true);
    assert.equal(decision.probe?.videoCodec, 'mpeg4');
  });
});
