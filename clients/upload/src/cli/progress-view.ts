import cliProgress from 'cli-progress';
import type { UploadedMedia } from '../upload-api.js';
import type { UploadProgress } from '../upload-progress.js';
import { bytesText, durationText } from './human-units.js';

/** One file's line while it goes up: progress, then transcoding, then how it ended. */
export interface FileLine {
  progress(progress: UploadProgress): void;
  transcoding(media: UploadedMedia): void;
  /** The file is done (uploaded, or failed): its line shows `summary`. */
  end(summary: string): void;
}

export interface ProgressView {
  add(name: string, size: number): FileLine;
  /** A note about a file that is neither progress nor its result. */
  notice(message: string): void;
  stop(): void;
}

const NAME_WIDTH = 28;
const fitted = (name: string) =>
  name.length > NAME_WIDTH ? `…${name.slice(-(NAME_WIDTH - 1))}` : name.padEnd(NAME_WIDTH);

/** What the line says beside the bar for a progress report. */
function detail(progress: UploadProgress): { value: number; status: string } {
  const { phase, totalBytes, hashedBytes, sentBytes, sentChunks, chunkTotal, bytesPerSecond, etaSeconds } = progress;
  const rate = bytesPerSecond > 0 ? `${bytesText(bytesPerSecond)}/s` : '';
  const eta = `ETA ${durationText(etaSeconds)}`;
  switch (phase) {
    case 'hashing':
      return {
        value: hashedBytes,
        status: `hashing ${bytesText(hashedBytes)}/${bytesText(totalBytes)} ${rate} ${eta}`,
      };
    case 'uploading':
      return {
        value: sentBytes,
        status: `${sentChunks}/${chunkTotal} chunks ${bytesText(sentBytes)}/${bytesText(totalBytes)} ${rate} ${eta}`,
      };
    case 'merging':
      return { value: totalBytes, status: 'merging' };
    default:
      return { value: totalBytes, status: 'uploaded' };
  }
}

/** A bar per file on a terminal (cli-progress), redrawn in place. */
export class BarsView implements ProgressView {
  private readonly bars: cliProgress.MultiBar;

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        format: '{name} {bar} {percentage}% {status}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  add(name: string, size: number): FileLine {
    const bar = this.bars.create(Math.max(1, size), 0, { name: fitted(name), status: 'waiting' });
    return {
      progress: (progress) => {
        const { value, status } = detail(progress);
        bar.update(value, { status });
      },
      transcoding: (media) =>
        bar.update({
          status: `transcoding ${media.transcodeState.toLowerCase()}${media.transcodeProgress === null ? '' : ` ${media.transcodeProgress}%`}`,
        }),
      end: (summary) => {
        bar.update({ status: summary });
        bar.stop();
      },
    };
  }

  notice(message: string): void {
    this.bars.log(`${message}\n`);
  }

  stop(): void {
    this.bars.stop();
  }
}

/** Where no terminal is: one line per change of phase, so logs stay readable. */
export class LinesView implements ProgressView {
  constructor(private readonly stream: NodeJS.WritableStream) {}

  add(name: string): FileLine {
    let phase = '';
    let transcodeState = '';
    const say = (text: string) => this.stream.write(`${name}: ${text}\n`);
    return {
      progress: (progress) => {
        if (progress.phase === phase || progress.phase === 'done') return;
        phase = progress.phase;
        if (phase === 'hashing') say(`hashing ${bytesText(progress.totalBytes)}`);
        else if (phase === 'uploading')
          say(
            `uploading ${progress.chunkTotal - progress.sentChunks} of ${progress.chunkTotal} chunks` +
              (progress.sentChunks > 0 ? ` (${progress.sentChunks} already stored)` : ''),
          );
        else say('merging');
      },
      transcoding: (media) => {
        if (media.transcodeState === transcodeState) return;
        transcodeState = media.transcodeState;
        say(`waiting for transcoding (${transcodeState.toLowerCase()})`);
      },
      end: () => undefined,
    };
  }

  notice(message: string): void {
    this.stream.write(`${message}\n`);
  }

  stop(): void {}
}

/** --quiet, or --json without a terminal: nothing but the results. */
export class SilentView implements ProgressView {
  add(): FileLine {
    return { progress: () => undefined, transcoding: () => undefined, end: () => undefined };
  }
  notice(): void {}
  stop(): void {}
}
