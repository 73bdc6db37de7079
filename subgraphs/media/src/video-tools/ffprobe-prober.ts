import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';
import { NotMediaError, type MediaProber, type ProbeResult, type ProbeSource } from './media-prober';

/** ffprobe's messages for input that no demuxer accepts (AVERROR_INVALIDDATA, or EINVAL from a half-matching one). */
const UNREADABLE_INPUT = /Invalid data found when processing input|Invalid argument|moov atom not found/i;

/** Gives up on a URL that stops sending for this long, so a stalled store cannot hang a merge. */
const URL_TIMEOUT_MICROSECONDS = String(30_000_000);

/** The `MediaProber` adapter over ffprobe, through fluent-ffmpeg. */
export class FfprobeProber implements MediaProber {
  constructor(private readonly binary: string) {}

  async probe(source: ProbeSource): Promise<ProbeResult> {
    const input = 'path' in source ? source.path : source.url;
    const options = 'path' in source ? ['-v', 'error'] : ['-v', 'error', '-rw_timeout', URL_TIMEOUT_MICROSECONDS];
    const data = await new Promise<FfprobeData>((resolve, reject) => {
      // fluent-ffmpeg keeps the ffprobe path process-wide; it is read synchronously by the call below.
      ffmpeg(input)
        .setFfprobePath(this.binary)
        .ffprobe(options, (error: unknown, result: FfprobeData) =>
          error ? reject(this.failure(input, error)) : resolve(result),
        );
    });
    return toResult(input, data);
  }

  private failure(input: string, error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new Error(
        `ffprobe could not be started from "${this.binary}": set FFPROBE_PATH to an ffprobe executable.`,
        { cause: error },
      );
    }
    // With `-v error`, what ffprobe printed after its exit line is the reason, e.g. "<file>: Invalid data found…".
    const reason = message.split('\n').slice(1).join(' ').trim() || message;
    if (UNREADABLE_INPUT.test(reason))
      return new NotMediaError(`ffprobe found no audio or video it can read in ${input}: ${reason}`);
    return new Error(`ffprobe could not read ${input}: ${reason}`, { cause: error });
  }
}

function toResult(input: string, data: FfprobeData): ProbeResult {
  // An attached picture (an MP3's cover art) is a still image, not the video of the file.
  const video = data.streams.find((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  const audio = data.streams.find((stream) => stream.codec_type === 'audio');
  if (!video && !audio) throw new NotMediaError(`ffprobe found no audio or video stream in ${input}.`);
  return {
    formatNames: String(data.format.format_name ?? '')
      .split(',')
      .filter(Boolean),
    videoCodec: codecOf(video),
    audioCodec: codecOf(audio),
    durationSeconds: positive(data.format.duration),
    width: positive(video?.width),
    height: positive(video?.height),
  };
}

function codecOf(stream: FfprobeStream | undefined): string | undefined {
  return stream?.codec_name || undefined;
}

/** ffprobe prints "N/A" for what it does not know; fluent-ffmpeg passes that on as a string. */
function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
