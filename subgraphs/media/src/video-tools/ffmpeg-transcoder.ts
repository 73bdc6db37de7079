import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';

export type TranscodeMode = 'remux' | 'encode';

/** remux when video is h264 and audio is aac or absent (stream copy into MP4), else encode. */
export function transcodeModeOf(probe: { videoCodec?: string; audioCodec?: string }): TranscodeMode {
  return probe.videoCodec === 'h264' && (probe.audioCodec === undefined || probe.audioCodec === 'aac')
    ? 'remux'
    : 'encode';
}

export interface TranscodeJob {
  /** A local file path or an http(s) URL. */
  input: string;
  /** The local MP4 file to write. */
  output: string;
  /** A local JPEG file to write: one frame at min(1 s, duration / 2), at most 640 px wide. */
  poster?: string;
  mode: TranscodeMode;
  /** The input's duration, for progress percentages; without it they come from the duration ffmpeg reads, if any. */
  durationSeconds?: number;
  /** Aborting kills ffmpeg and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** ffmpeg's output not moving on for this long kills it and rejects with TranscodeStalledError. */
  stallMs?: number;
  /** Whole percentages, never decreasing, at most about 4 a second; 100 exactly once, on success. */
  onProgress?(percent: number): void;
}

export interface TranscoderOptions {
  /** libx264's speed/size trade-off for encodes. */
  preset?: string;
  /** libx264's constant quality for encodes (lower is better and bigger). */
  crf?: number;
}

/** ffmpeg's output stopped moving on: the input stopped arriving, or ffmpeg hangs. */
export class TranscodeStalledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranscodeStalledError';
  }
}

/** The input is not media ffmpeg can read, so retrying cannot help. */
export class NotTranscodableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotTranscodableError';
  }
}

/** ffmpeg's stderr lines saying the input has no readable media (or no video to transcode). */
const UNREADABLE_INPUT = /Invalid data found when processing input|moov atom not found|matches no streams/i;
/** stderr lines that follow a failure without explaining it. */
const NOT_A_REASON = /^(Conversion failed!|frame=|size=|video:\d)/;
const POSTER_MAX_WIDTH = 640;
/** Callers store progress; more often than this would only be write load. */
const PROGRESS_EVERY_MS = 250;

/** fluent-ffmpeg's buffer of a stream's last lines. */
interface OutputLines {
  get(): string;
}
type EndCallback = (error: Error | null, stdout: OutputLines, stderr: OutputLines) => void;
const NO_OUTPUT: OutputLines = { get: () => '' };

/** The fluent-ffmpeg 2.1 internals this runner relies on. */
interface FluentInternals {
  _spawnFfmpeg(args: string[], options: SpawnOptions, ...callbacks: ((...args: never[]) => unknown)[]): void;
  _getFfmpegPath(callback: (error: Error | null, path: string) => void): void;
  _getArguments(): string[];
  ffmpegProc?: ChildProcess;
}

/** Runs one ffmpeg process per job, writing a browser-playable MP4 and, if asked, its poster. */
export class FfmpegTranscoder {
  private readonly preset: string;
  private readonly crf: number;

  constructor(
    private readonly ffmpegPath: string,
    options: TranscoderOptions = {},
  ) {
    this.preset = options.preset ?? 'veryfast';
    this.crf = options.crf ?? 23;
  }

  /** The exact argument list `run` passes to ffmpeg. */
  argumentsFor(job: TranscodeJob): string[] {
    return internals(this.command(job))._getArguments();
  }

  async run(job: TranscodeJob): Promise<void> {
    job.signal?.throwIfAborted();
    try {
      await this.execute(job);
    } catch (error) {
      await Promise.all([job.output, job.poster].map((file) => file && rm(file, { force: true })));
      throw error;
    }
    job.onProgress?.(100);
  }

  private execute(job: TranscodeJob): Promise<void> {
    const command = this.command(job);
    const fluent = internals(command);
    return new Promise((resolve, reject) => {
      const progress = new ProgressFollower(job.durationSeconds, job.onProgress);
      let child: ChildProcess | undefined;
      let stall: NodeJS.Timeout | undefined;
      let stopped: unknown;
      const stop = (reason: unknown) => {
        stopped ??= reason;
        if (child) killGroup(child);
      };
      const onAbort = () => stop(job.signal?.reason ?? new DOMException('The transcode was aborted.', 'AbortError'));
      const settle = (error?: unknown) => {
        clearTimeout(stall);
        job.signal?.removeEventListener('abort', onAbort);
        if (stopped !== undefined || error !== undefined) reject(stopped ?? error);
        else resolve();
      };

      // fluent-ffmpeg's setFfmpegPath is process-wide and read only after its asynchronous checks, so another path could win.
      fluent._getFfmpegPath = (callback) => callback(null, this.ffmpegPath);
      const spawnFfmpeg = fluent._spawnFfmpeg;
      fluent._spawnFfmpeg = (args, options, ...callbacks) => {
        const ended = callbacks.pop() as EndCallback;
        // Its own process group lets one kill reach ffmpeg and anything it runs under (a wrapper script's fork, say).
        spawnFfmpeg.call(
          command,
          args,
          { ...options, detached: true },
          ...callbacks,
          (error: Error | null, stdout = NO_OUTPUT, stderr = NO_OUTPUT) =>
            // When ffmpeg cannot be spawned, fluent-ffmpeg 2.1.3 ends without its output buffers and then throws reading them (its issue #861).
            ended(error, stdout, stderr),
        );
      };

      command.on('start', () => {
        child = fluent.ffmpegProc;
        if (!child) return;
        const watchdog = killWhenGone(child);
        // Once ffmpeg is reaped its process group id may be reused: the watchdog goes with it.
        child.once('exit', () => watchdog?.kill('SIGKILL'));
        if (stopped !== undefined) killGroup(child);
        const stallMs = job.stallMs;
        if (stallMs !== undefined) {
          const stalled = () =>
            new TranscodeStalledError(
              `ffmpeg made no progress on ${job.input} for ${stallMs / 1000} s (${progress.timemark ? `stuck at ${progress.timemark}` : 'before writing any output'}) and was stopped. ` +
                'The source may have stopped sending; if it is merely slow, allow a longer stall time.',
            );
          stall = setTimeout(() => stop(stalled()), stallMs);
        }
        if (child.stdout) {
          createInterface({ input: child.stdout }).on('line', (line) => {
            if (progress.line(line)) stall?.refresh();
          });
        }
      });
      command.on('codecData', (data) => progress.inputDuration(data.duration));
      command.on('error', (error, _stdout, stderr) => settle(this.failure(job, error, stderr)));
      command.on('end', () => settle());
      job.signal?.addEventListener('abort', onAbort, { once: true });
      command.run();
    });
  }

  /** Options go in as raw arguments (`-c:v`, not fluent's `videoCodec()`), which fluent-ffmpeg passes on unchanged. */
  private command(job: TranscodeJob): FfmpegCommand {
    const streams = ['-map', '0:v:0', '-map', '0:a:0?'];
    const codecs =
      job.mode === 'remux'
        ? ['-c', 'copy']
        : [
            ...['-c:v', 'libx264', '-preset', this.preset, '-crf', String(this.crf), '-pix_fmt', 'yuv420p'],
            // 4:2:0 H.264 needs even dimensions, which old files do not always have.
            ...['-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2', '-c:a', 'aac'],
          ];
    const command = ffmpeg(job.input)
      // -progress writes key=value blocks to stdout, steadier to parse than the stats line -nostats keeps off stderr.
      // (fluent-ffmpeg's 'progress' event parses that line, and runs ffprobe on the input first: a second read of a URL.)
      .inputOptions(['-hide_banner', '-nostdin', '-nostats', '-progress', 'pipe:1'])
      .output(job.output)
      // ffmpeg before 4.4 gives up ("Too many packets buffered") when one stream starts long after another; 128 was its limit.
      .outputOptions([...streams, ...codecs, '-max_muxing_queue_size', '1024', '-movflags', '+faststart', '-f', 'mp4']);
    if (job.poster) command.output(job.poster).outputOptions(posterOptions(job.durationSeconds));
    return command;
  }

  private failure(job: TranscodeJob, error: Error, stderr: string | null): Error {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new Error(
        `ffmpeg could not be started from "${this.ffmpegPath}": set FFMPEG_PATH to an ffmpeg executable.`,
        { cause: error },
      );
    }
    // Only an exit code means ffmpeg gave up and said why; otherwise (a signal, a failed check) fluent-ffmpeg's message is the reason.
    if (!/ffmpeg exited with code/.test(error.message))
      return new Error(`ffmpeg could not transcode ${job.input}: ${error.message}`, { cause: error });
    const lines = (stderr ?? '')
      .split(/\r\n|\r|\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    // ffmpeg starts most of its lines about the input with the input's name, which the message already gives.
    const withoutInput = (line: string) =>
      line.startsWith(`${job.input}: `) ? line.slice(job.input.length + 2) : line;
    const unreadable = lines.findLast((line) => UNREADABLE_INPUT.test(line));
    if (unreadable) {
      return new NotTranscodableError(
        `ffmpeg cannot read a video from ${job.input} (${withoutInput(unreadable)}): the file is damaged, incomplete or not a video. Ask for the original file again.`,
      );
    }
    const reason = lines.findLast((line) => !NOT_A_REASON.test(line)) ?? 'it said nothing more';
    return new Error(`ffmpeg could not transcode ${job.input}: ${withoutInput(reason)}`, { cause: error });
  }
}

/** A second output of the same run: decoding is shared, so the poster costs one JPEG encode. */
function posterOptions(durationSeconds: number | undefined): string[] {
  // Without a duration, a later frame might lie past the end and leave no poster.
  const at = durationSeconds ? Math.min(1, durationSeconds / 2) : 0;
  return [
    ...['-map', '0:v:0', '-ss', at.toFixed(3), '-frames:v', '1', '-vf', `scale='min(${POSTER_MAX_WIDTH},iw)':-2`],
    // The JPEG encoder's default bit rate makes a blurry still.
    ...['-q:v', '3', '-c:v', 'mjpeg', '-f', 'image2'],
  ];
}

function internals(command: FfmpegCommand): FluentInternals {
  return command as unknown as FluentInternals;
}

/**
 * Kills ffmpeg's process group when this process is gone, even killed with SIGKILL: Node cannot
 * ask the kernel for that (no PR_SET_PDEATHSIG), and an orphaned ffmpeg runs on until it next
 * writes progress to the closed pipe, or for good while its input stalls. The shell's stdin is a
 * pipe from this process, so `read` returns only once this process's end of it has closed; this
 * process kills the shell as soon as ffmpeg has ended.
 */
function killWhenGone(ffmpeg: ChildProcess): ChildProcess | undefined {
  if (ffmpeg.pid === undefined || process.platform === 'win32') return undefined;
  const watchdog = spawn('/bin/sh', ['-c', 'read -r line; kill -s KILL -- "-$0"', String(ffmpeg.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Without a shell ffmpeg still stops with the worker's own kills; only a crash would leave it running.
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  return watchdog;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Reads ffmpeg's `-progress` lines: whether the output moved on, and the percentage done. */
class ProgressFollower {
  /** The output time ffmpeg last reached, as it prints it. */
  timemark: string | undefined;
  private seconds = -1;
  private frame = -1;
  private reported = -1;
  private reportedAt = 0;

  constructor(
    private durationSeconds: number | undefined,
    private readonly onProgress: ((percent: number) => void) | undefined,
  ) {}

  inputDuration(timemark: string): void {
    this.durationSeconds ??= secondsOf(timemark);
  }

  /** True when the line shows the output moved on. */
  line(line: string): boolean {
    const [key, value = ''] = line.split('=', 2).map((part) => part.trim());
    if (key === 'frame' && Number(value) > this.frame) {
      this.frame = Number(value);
      return true;
    }
    const seconds = key === 'out_time' ? secondsOf(value) : undefined;
    if (seconds === undefined || seconds <= this.seconds) return false;
    this.seconds = seconds;
    this.timemark = value;
    this.report();
    return true;
  }

  private report(): void {
    if (!this.onProgress || !this.durationSeconds) return;
    // 100 waits for success: the last seconds still include writing the MP4's index.
    const percent = Math.min(99, Math.floor((this.seconds / this.durationSeconds) * 100));
    const now = performance.now();
    if (percent <= this.reported || now - this.reportedAt < PROGRESS_EVERY_MS) return;
    this.reported = percent;
    this.reportedAt = now;
    this.onProgress(percent);
  }
}

/** "HH:MM:SS.micro" to seconds; undefined for "N/A" and the huge negative times ffmpeg prints before its first frame. */
function secondsOf(timemark: string): number | undefined {
  const parts = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(timemark);
  return parts ? Number(parts[1]) * 3600 + Number(parts[2]) * 60 + Number(parts[3]) : undefined;
}
