import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { constants, openSync, readdirSync, readFileSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { readConfig } from '@learnhub/platform/config';
import { waitUntil } from '@learnhub/platform/testing';
import { findFfmpeg, findFfprobe } from './ffmpeg-binaries';
import { FfprobeProber } from './ffprobe-prober';
import { makeTestClips, type TestClips } from './test-clips';
import { FfmpegTranscoder, NotTranscodableError, TranscodeStalledError, transcodeModeOf } from './ffmpeg-transcoder';

const run = promisify(execFile);
const ffmpegPath = findFfmpeg(readConfig().media.ffmpegPath);
const prober = new FfprobeProber(findFfprobe(readConfig().media.ffprobePath));

describe('transcodeModeOf', () => {
  test('only H.264 with AAC or no audio is remuxed', () => {
    assert.equal(transcodeModeOf({ videoCodec: 'h264', audioCodec: 'aac' }), 'remux');
    assert.equal(transcodeModeOf({ videoCodec: 'h264' }), 'remux');
    assert.equal(transcodeModeOf({ videoCodec: 'h264', audioCodec: 'mp3' }), 'encode');
    assert.equal(transcodeModeOf({ videoCodec: 'mpeg4', audioCodec: 'aac' }), 'encode');
    assert.equal(transcodeModeOf({ videoCodec: 'hevc' }), 'encode');
    assert.equal(transcodeModeOf({ audioCodec: 'aac' }), 'encode');
  });
});

describe('FfmpegTranscoder arguments', () => {
  const transcoder = new FfmpegTranscoder(ffmpegPath);
  const head = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-progress',
    'pipe:1',
    '-i',
    'in.mkv',
    '-y',
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
  ];
  const mp4 = ['-max_muxing_queue_size', '1024', '-movflags', '+faststart', '-f', 'mp4', 'out.mp4'];

  test('a remux copies the first video and audio streams into a fast-start MP4', () => {
    assert.deepEqual(transcoder.argumentsFor({ input: 'in.mkv', output: 'out.mp4', mode: 'remux' }), [
      ...head,
      '-c',
      'copy',
      ...mp4,
    ]);
  });

  test('an encode makes 4:2:0 H.264 and AAC, and the poster is a second output of the same run', () => {
    const slow = new FfmpegTranscoder(ffmpegPath, { preset: 'slow', crf: 20 });
    assert.deepEqual(
      slow.argumentsFor({
        input: 'in.mkv',
        output: 'out.mp4',
        poster: 'poster.jpg',
        mode: 'encode',
        durationSeconds: 1.5,
      }),
      [
        ...head,
        ...[
          '-c:v',
          'libx264',
          '-preset',
          'slow',
          '-crf',
          '20',
          '-pix_fmt',
          'yuv420p',
          '-vf',
          'scale=trunc(iw/2)*2:trunc(ih/2)*2',
          '-c:a',
          'aac',
        ],
        ...mp4,
        ...[
          '-map',
          '0:v:0',
          '-ss',
          '0.750',
          '-frames:v',
          '1',
          '-vf',
          "scale='min(640,iw)':-2",
          '-q:v',
          '3',
          '-c:v',
          'mjpeg',
          '-f',
          'image2',
          'poster.jpg',
        ],
      ],
    );
    assert.ok(
      transcoder
        .argumentsFor({ input: 'in.mkv', output: 'out.mp4', mode: 'encode' })
        .join(' ')
        .includes('-preset veryfast -crf 23'),
    );
  });
});

describe('FfmpegTranscoder on real clips', { timeout: 60_000 }, () => {
  const transcoder = new FfmpegTranscoder(ffmpegPath);
  // A slower preset keeps ffmpeg busy well past its first progress report, on fast machines too.
  const slowTranscoder = new FfmpegTranscoder(ffmpegPath, { preset: 'medium' });
  let clips: TestClips;
  let dir: string;
  /** 20 s of 640×360 moving picture (testsrc2, which is costlier to encode than testsrc) with sound, in MPEG-4 part 2. */
  let long: string;
  /** 0.6 s of 1280×720. */
  let wide: string;

  before(async () => {
    clips = await makeTestClips();
    dir = await mkdtemp(join(tmpdir(), 'lh-transcode-'));
    long = join(dir, 'long.mkv');
    wide = join(dir, 'wide.avi');
    const source = (size: string, seconds: string) => [
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=25`,
      '-f',
      'lavfi',
      '-i',
      'sine=sample_rate=22050',
      '-t',
      seconds,
    ];
    await Promise.all([
      run(ffmpegPath, ['-v', 'error', ...source('640x360', '20'), '-c:v', 'mpeg4', '-q:v', '4', '-c:a', 'mp2', long]),
      run(ffmpegPath, ['-v', 'error', ...source('1280x720', '0.6'), '-c:v', 'mpeg4', '-c:a', 'mp2', wide]),
    ]);
  });
  after(async () => {
    await clips?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const outputs = (name: string) => ({ output: join(dir, `${name}.mp4`), poster: join(dir, `${name}.jpg`) });

  test('an MPEG-4 part 2 AVI is encoded to an H.264/AAC MP4 with a JPEG poster', async () => {
    const input = await prober.probe({ path: clips.avi });
    assert.equal(transcodeModeOf(input), 'encode');
    const { output, poster } = outputs('legacy');
    await transcoder.run({ input: clips.avi, output, poster, mode: 'encode', durationSeconds: input.durationSeconds });

    const result = await prober.probe({ path: output });
    assert.ok(result.formatNames.includes('mp4'), String(result.formatNames));
    assert.equal(result.videoCodec, 'h264');
    assert.equal(result.audioCodec, 'aac');
    assert.ok(
      result.durationSeconds !== undefined && Math.abs(result.durationSeconds - 1) < 0.2,
      `duration ${result.durationSeconds}`,
    );
    assert.deepEqual([...(await readFile(poster)).subarray(0, 2)], [0xff, 0xd8]);
  });

  test('an H.264 MKV is remuxed with its video packets unchanged, and a silent MP4 stays silent', async () => {
    const input = await prober.probe({ path: clips.mkv });
    assert.equal(transcodeModeOf(input), 'remux');
    const { output } = outputs('remuxed');
    await transcoder.run({ input: clips.mkv, output, mode: 'remux' });

    const result = await prober.probe({ path: output });
    assert.ok(result.formatNames.includes('mp4'), String(result.formatNames));
    assert.deepEqual(
      [result.videoCodec, result.audioCodec, result.width, result.height],
      ['h264', 'aac', input.width, input.height],
    );
    assert.equal(await videoPacketsMd5(output), await videoPacketsMd5(clips.mkv));

    const silent = outputs('silent');
    await transcoder.run({ input: clips.silentMp4, output: silent.output, mode: 'remux' });
    assert.equal((await prober.probe({ path: silent.output })).audioCodec, undefined);
  });

  test('the poster of a wide, short video is 640 px wide', async () => {
    const { output, poster } = outputs('wide');
    await transcoder.run({ input: wide, output, poster, mode: 'encode', durationSeconds: 0.6 });
    const result = await prober.probe({ path: poster });
    assert.deepEqual([result.videoCodec, result.width, result.height], ['mjpeg', 640, 360]);
  });

  test('random bytes are NotTranscodableError naming the file and ffmpeg’s reason, and leave no output', async () => {
    const { output, poster } = outputs('noise');
    await assert.rejects(transcoder.run({ input: clips.noise, output, poster, mode: 'encode' }), (error: unknown) => {
      assert.ok(error instanceof NotTranscodableError, String(error));
      assert.ok(error.message.includes(clips.noise), error.message);
      assert.match(error.message, /\(Invalid data found when processing input\)/);
      assert.doesNotMatch(error.message, /\n|moov atom|Input #/);
      return true;
    });
    await assertMissing(output, poster);
  });

  test('a missing ffmpeg says how to point at one', async () => {
    const { output } = outputs('no-ffmpeg');
    await assert.rejects(
      new FfmpegTranscoder('/nonexistent/ffmpeg').run({ input: clips.mp4, output, mode: 'remux' }),
      /could not be started from "\/nonexistent\/ffmpeg": set FFMPEG_PATH/,
    );
  });

  test('progress is whole percentages, increasing at most every 250 ms, ending with one 100', async () => {
    const calls: { percent: number; at: number }[] = [];
    const { output } = outputs('progress');
    await slowTranscoder.run({
      input: long,
      output,
      mode: 'encode',
      durationSeconds: 20,
      onProgress: (percent) => calls.push({ percent, at: performance.now() }),
    });

    const percents = calls.map((call) => call.percent);
    assert.ok(percents.length >= 3, `progress ${percents}`);
    assert.ok(
      percents.every(
        (percent, i) => Number.isInteger(percent) && percent >= 0 && (i === 0 || percent > percents[i - 1]),
      ),
      `progress ${percents}`,
    );
    assert.deepEqual(
      percents.filter((percent) => percent === 100),
      [100],
    );
    assert.equal(percents.at(-1), 100);
    const running = calls.slice(0, -1);
    assert.ok(
      running.every((call, i) => i === 0 || call.at - running[i - 1].at >= 249),
      `progress times ${calls.map((call) => call.at)}`,
    );
  });

  test('aborting kills ffmpeg’s process group at once and leaves no output', async () => {
    // Without durationSeconds, progress comes from the duration ffmpeg reads, and that progress triggers the abort.
    const controller = new AbortController();
    const { output, poster } = outputs('aborted');
    let group: number | undefined;
    let abortedAt = 0;
    const running = slowTranscoder.run({
      input: long,
      output,
      poster,
      mode: 'encode',
      signal: controller.signal,
      onProgress: () => {
        group ??= groupOfProcessNaming(output);
        abortedAt = performance.now();
        controller.abort();
      },
    });
    await assert.rejects(running, { name: 'AbortError' });
    assert.ok(performance.now() - abortedAt < 2_000, 'the rejection waits only for ffmpeg to die');
    const killed = group;
    assert.ok(killed !== undefined, 'ffmpeg was found while it ran');
    assert.throws(() => process.kill(-killed, 0), { code: 'ESRCH' });
    await assertMissing(output, poster);
  });

  test('an input that stops arriving is TranscodeStalledError, and the whole process group is killed', async () => {
    const fifo = join(dir, 'stalling.mkv');
    execFileSync('mkfifo', [fifo]);
    const wrapper = join(dir, 'ffmpeg-wrapper.sh');
    // Forks ffmpeg instead of exec-ing it (the command after it prevents that), so killing only the shell would leave ffmpeg running.
    await writeFile(wrapper, `#!/bin/sh\n"${ffmpegPath}" "$@"\nexit $?\n`, { mode: 0o755 });
    // Opened read-write, the FIFO neither waits for ffmpeg to open it nor ever reaches end of file.
    const writer = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: false });
    try {
      writer.write((await readFile(long)).subarray(0, 2_000_000));
      const { output, poster } = outputs('stalled');
      const running = new FfmpegTranscoder(wrapper).run({
        input: fifo,
        output,
        poster,
        mode: 'encode',
        stallMs: 1_500,
      });
      const group = await waitUntil(
        'the shell and its ffmpeg to run',
        () => {
          const found = groupOfProcessNaming(output);
          return found !== undefined && livingMembersOf(found).length === 2 ? found : undefined;
        },
        5_000,
      );

      await assert.rejects(running, (error: unknown) => {
        assert.ok(error instanceof TranscodeStalledError, String(error));
        assert.match(
          error.message,
          /no progress on .*stalling\.mkv for 1\.5 s \((stuck at \d+:\d\d:\d\d|before writing any output)/,
        );
        return true;
      });
      // One SIGKILL reaches every member at once; on a loaded machine the last may take a moment to end.
      await waitUntil(
        'every process of the group to end',
        () => livingMembersOf(group).length === 0,
        5_000,
        () => `still running: ${livingMembersOf(group).join(', ')}`,
      );
      await assertMissing(output, poster);
    } finally {
      writer.destroy();
    }
  });
});

/** The process group of the running process whose arguments include `file`, from /proc. */
function groupOfProcessNaming(file: string): number | undefined {
  const pid = processIds().find((id) => readProc(id, 'cmdline').split('\0').includes(file));
  return pid === undefined ? undefined : statOf(pid)?.group;
}

/** Group members that have not exited; a killed orphan can linger as a zombie where PID 1 does not reap. */
function livingMembersOf(group: number): number[] {
  return processIds().filter((id) => {
    const stat = statOf(id);
    return stat?.group === group && stat.state !== 'Z';
  });
}

function processIds(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function statOf(pid: number): { state: string; group: number } | undefined {
  const stat = readProc(pid, 'stat');
  // The command name in parentheses may contain spaces; the fields after it are state, parent, group.
  const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return group === undefined ? undefined : { state, group: Number(group) };
}

/** A /proc file of a process, or '' once the process has gone. */
function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

async function assertMissing(...files: string[]): Promise<void> {
  for (const file of files) await assert.rejects(access(file), { code: 'ENOENT' }, `${file} was left behind`);
}

/** An MD5 of a file's first video stream's packets, which a stream copy keeps byte for byte. */
async function videoPacketsMd5(file: string): Promise<string> {
  return (
    await run(ffmpegPath, ['-v', 'error', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'md5', '-'])
  ).stdout.trim();
}
