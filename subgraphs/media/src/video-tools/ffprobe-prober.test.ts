import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readConfig } from '@learnhub/platform/config';
import { findFfprobe } from './ffmpeg-binaries';
import { FfprobeProber } from './ffprobe-prober';
import { NotMediaError } from './media-prober';
import { makeTestClips, type TestClips } from './test-clips';

describe('FfprobeProber on real clips', () => {
  let clips: TestClips;
  const prober = new FfprobeProber(findFfprobe(readConfig().media.ffprobePath));

  before(async () => {
    clips = await makeTestClips();
  });
  after(() => clips?.remove());

  test('an H.264/AAC MP4: container, codecs, duration and size', async () => {
    const result = await prober.probe({ path: clips.mp4 });
    assert.deepEqual(result.formatNames, ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2']);
    assert.equal(result.videoCodec, 'h264');
    assert.equal(result.audioCodec, 'aac');
    assert.equal(result.width, 160);
    assert.equal(result.height, 120);
    assert.ok(
      result.durationSeconds !== undefined && Math.abs(result.durationSeconds - 1) < 0.2,
      `duration ${result.durationSeconds}`,
    );
  });

  test('an MPEG-4 part 2 AVI and an H.264 MKV', async () => {
    const avi = await prober.probe({ path: clips.avi });
    assert.deepEqual(avi.formatNames, ['avi']);
    assert.equal(avi.videoCodec, 'mpeg4');
    assert.match(avi.audioCodec ?? '', /^mp[23]$/);

    const mkv = await prober.probe({ path: clips.mkv });
    assert.deepEqual(mkv.formatNames, ['matroska', 'webm']);
    assert.equal(mkv.videoCodec, 'h264');
    assert.equal(mkv.audioCodec, 'aac');
  });

  test('a video without sound has no audio codec', async () => {
    const result = await prober.probe({ path: clips.silentMp4 });
    assert.equal(result.videoCodec, 'h264');
    assert.equal(result.audioCodec, undefined);
  });

  test('random bytes are NotMediaError, naming the file and what ffprobe said', async () => {
    await assert.rejects(prober.probe({ path: clips.noise }), (error: unknown) => {
      assert.ok(error instanceof NotMediaError, String(error));
      assert.match(error.message, /no audio or video/);
      assert.ok(error.message.includes(clips.noise), error.message);
      return true;
    });
  });

  test('a missing file is a plain error, not NotMediaError', async () => {
    await assert.rejects(prober.probe({ path: join(clips.noise, '..', 'missing.mp4') }), (error: unknown) => {
      assert.ok(!(error instanceof NotMediaError), String(error));
      assert.match((error as Error).message, /could not read .*missing\.mp4.*No such file/);
      return true;
    });
  });

  test('an ffprobe that cannot be started says how to point at one', async () => {
    await assert.rejects(
      new FfprobeProber('/nonexistent/ffprobe').probe({ path: clips.mp4 }),
      /could not be started from "\/nonexistent\/ffprobe": set FFPROBE_PATH/,
    );
  });
});
