import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readConfig } from '@learnhub/platform/config';
import { AppError } from '@learnhub/platform/errors';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
import { LocalObjectStore } from '@learnhub/platform/object-store/local-object-store';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing/test-databases';
import { MediaType } from '../entities/media-object.entity';
import { MediaProcess, ProcessState } from '../entities/media-process.entity';
import { mediaMigrations } from '../migrations/migrations';
import { MediaProcessRepository } from '../repositories/media-process.repository';
import { mediaEntities } from '../server';
import { FfprobeProber, findFfprobe } from './ffprobe-prober';
import type { MediaProber, ProbeSource } from './media-prober';
import { makeTestClips, type TestClips } from './test-clips';
import { TranscodeQueue } from './transcode-queue';

const md5 = (seed: string) => createHash('md5').update(seed).digest('hex');
const videoObject = (seed: string, extension: string) => {
  const fileMd5 = md5(seed);
  return { fileMd5, type: MediaType.VIDEO, bucket: 'video', objectKey: `${fileMd5[0]}/${fileMd5[1]}/${fileMd5}/${fileMd5}${extension}` };
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
before(async () => {
  clips = await makeTestClips();
});
after(() => clips?.remove());

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

    /** A queue over its own EntityManager, as each merge gets one. */
    const queue = (using: MediaProber = prober) => new TranscodeQueue(new MediaProcessRepository(db.orm.em.fork()), using);
    const stored = async (seed: string, clip: string, extension: string) => {
      const object = videoObject(`${factory.kind}-${seed}`, extension);
      await store.put(object.bucket, object.objectKey, createReadStream(clip));
      return object;
    };
    const tasks = (fileMd5: string) => db.orm.em.fork().find(MediaProcess, { fileMd5 });

    test('an H.264/AAC MP4 is playable as is: probed in place, nothing queued', async () => {
      const object = await stored('mp4', clips.mp4, '.mp4');
      const decision = await queue().queueTranscodeIfNeeded(object, store);
      assert.equal(decision.queued, false);
      assert.equal(decision.probe?.videoCodec, 'h264');
      assert.equal(decision.probe?.width, 160);
      assert.deepEqual(await tasks(object.fileMd5), []);
    });

    test('an MPEG-4 part 2 AVI is queued once, however often it is asked', async () => {
      const object = await stored('avi', clips.avi, '.avi');
      const first = await queue().queueTranscodeIfNeeded(object, store);
      assert.equal(first.queued, true);
      assert.equal(first.probe?.videoCodec, 'mpeg4');
      assert.deepEqual((await queue().queueTranscodeIfNeeded(object, store)).queued, true);
      const concurrent = await Promise.all(Array.from({ length: 4 }, () => queue().queueTranscodeIfNeeded(object, store)));
      assert.ok(concurrent.every((decision) => decision.queued));

      const [task, ...others] = await tasks(object.fileMd5);
      assert.deepEqual(others, []);
      assert.equal(task?.state, ProcessState.PENDING);
      assert.equal(task?.attempts, 0);
      assert.equal(task?.bucket, 'video');
      assert.equal(task?.objectKey, object.objectKey);
    });

    test('an existing task is left as it is', async () => {
      const object = await stored('avi-done', clips.avi, '.avi');
      await queue().queueTranscodeIfNeeded(object, store);
      await db.orm.em.fork().nativeUpdate(MediaProcess, { fileMd5: object.fileMd5 }, { state: ProcessState.SUCCEEDED, attempts: 1 });
      assert.equal((await queue().queueTranscodeIfNeeded(object, store)).queued, true);
      const [task, ...others] = await tasks(object.fileMd5);
      assert.deepEqual(others, []);
      assert.equal(task?.state, ProcessState.SUCCEEDED);
      assert.equal(task?.attempts, 1);
    });

    test('an H.264 MKV is not playable in browsers: queued', async () => {
      const object = await stored('mkv', clips.mkv, '.mkv');
      const decision = await queue().queueTranscodeIfNeeded(object, store);
      assert.equal(decision.queued, true);
      assert.deepEqual(decision.probe?.formatNames, ['matroska', 'webm']);
      assert.equal((await tasks(object.fileMd5)).length, 1);
    });

    test('bytes that are no video are refused with NOT_A_VIDEO and queue nothing', async () => {
      const object = await stored('noise', clips.noise, '.mp4');
      await assert.rejects(queue().queueTranscodeIfNeeded(object, store), (error: unknown) => {
        assert.ok(error instanceof AppError && error.code === 'BAD_USER_INPUT', String(error));
        assert.equal(error.details.reason, 'NOT_A_VIDEO');
        assert.match(error.message, /is not a video that can be played or converted/);
        assert.ok(!error.message.includes(dir), 'the server path stays out of the message');
        return true;
      });
      assert.deepEqual(await tasks(object.fileMd5), []);
    });

    test('images and documents are never probed', async () => {
      const recording = new RecordingProber();
      for (const type of [MediaType.IMAGE, MediaType.DOCUMENT]) {
        const object = { ...videoObject(`${factory.kind}-${type}`, '.bin'), type };
        assert.deepEqual(await queue(recording).queueTranscodeIfNeeded(object, store), { queued: false });
        assert.deepEqual(await tasks(object.fileMd5), []);
      }
      assert.deepEqual(recording.sources, []);
    });

    test('a local object is probed at its path; any other store is probed by URL', async () => {
      const recording = new RecordingProber();
      const object = videoObject(`${factory.kind}-where`, '.mp4');
      await queue(recording).queueTranscodeIfNeeded(object, store);
      const remote = { kind: 's3', url: async (bucket: string, key: string) => `https://s3.test/${bucket}/${key}?signed` } as unknown as ObjectStore;
      await queue(recording).queueTranscodeIfNeeded(object, remote);
      assert.deepEqual(recording.sources, [
        { path: join(dir, 'video', ...object.objectKey.split('/')) },
        { url: `https://s3.test/video/${object.objectKey}?signed` },
      ]);
    });
  });
}
