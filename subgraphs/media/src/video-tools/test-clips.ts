import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readConfig } from '@learnhub/platform/config';
import { findFfmpeg } from './ffmpeg-binaries';

const run = promisify(execFile);

/** Tiny real clips for probe tests, written by ffmpeg into a temp folder. */
export interface TestClips {
  /** H.264 + AAC in MP4: plays in browsers as is. */
  mp4: string;
  /** MPEG-4 part 2 + MP3 in AVI: the original system's reason to transcode. */
  avi: string;
  /** H.264 + AAC in Matroska: right codecs, wrong container. */
  mkv: string;
  /** H.264 alone in MP4. */
  silentMp4: string;
  /** 64 KiB of pseudo-random bytes (the same every run) named like a video. */
  noise: string;
  remove(): Promise<void>;
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

export async function makeTestClips(): Promise<TestClips> {
  const ffmpeg = findFfmpeg(readConfig().media.ffmpegPath);
  const { stdout: encoders } = await run(ffmpeg, ['-hide_banner', '-encoders']);
  if (!/\blibx264\b/.test(encoders))
    throw new Error(`${ffmpeg} has no libx264 encoder; point FFMPEG_PATH at an ffmpeg that has.`);
  // Builds without LAME still make an AVI that browsers cannot play, with MPEG audio layer 2.
  const mp3 = ['libmp3lame', 'libshine'].find((name) => new RegExp(`\\b${name}\\b`).test(encoders)) ?? 'mp2';

  const dir = await mkdtemp(join(tmpdir(), 'lh-clips-'));
  // One second of a 160×120 test picture at 10 fps and a sine tone.
  const encode = async (name: string, codecs: string[]) => {
    const file = join(dir, name);
    await encodeClip(file, { seconds: 1, size: '160x120', fps: 10, codecs });
    return file;
  };
  try {
    const [mp4, avi, mkv, silentMp4] = await Promise.all([
      encode('playable.mp4', [...H264, '-c:a', 'aac']),
      encode('legacy.avi', ['-c:v', 'mpeg4', '-c:a', mp3]),
      encode('h264.mkv', [...H264, '-c:a', 'aac']),
      encode('silent.mp4', [...H264, '-an']),
    ]);
    const noise = join(dir, 'noise.mp4');
    await writeFile(
      noise,
      Buffer.concat(Array.from({ length: 1024 }, (_, i) => createHash('sha512').update(`noise ${i}`).digest())),
    );
    return { mp4, avi, mkv, silentMp4, noise, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What a generated clip shows and how it is encoded: a test picture and a sine tone. */
export interface ClipShape {
  seconds: number;
  /** `<width>x<height>`. */
  size: string;
  fps: number;
  /** ffmpeg's codec arguments, e.g. `['-c:v', 'mpeg4', '-c:a', 'mp2']`. */
  codecs: string[];
  /** testsrc2 is costlier to encode than testsrc, for clips meant to keep an encoder busy. */
  picture?: 'testsrc' | 'testsrc2';
}

/** Writes a clip of `shape` to `file` with the configured ffmpeg. */
export async function encodeClip(file: string, shape: ClipShape): Promise<void> {
  const picture = ['-f', 'lavfi', '-i', `${shape.picture ?? 'testsrc'}=size=${shape.size}:rate=${shape.fps}`];
  const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050'];
  await run(findFfmpeg(readConfig().media.ffmpegPath), [
    ...['-v', 'error', '-y', ...picture, ...tone],
    ...['-t', String(shape.seconds), ...shape.codecs, file],
  ]);
}

/**
 * `seconds` of 640×360 MPEG-4 part 2 with MPEG audio in AVI, as old uploads are, written to `file`:
 * slow enough to re-encode with libx264 that a test can catch (or kill) the transcode mid-way.
 */
export function makeLongLecture(file: string, seconds: number): Promise<void> {
  const codecs = ['-c:v', 'mpeg4', '-q:v', '4', '-c:a', 'mp2'];
  return encodeClip(file, { seconds, size: '640x360', fps: 25, codecs, picture: 'testsrc2' });
}
