/** Where an upload is: hashing the file, sending chunks, waiting for the merge, or done. */
export type UploadPhase = 'hashing' | 'uploading' | 'merging' | 'done';

export interface UploadProgress {
  phase: UploadPhase;
  totalBytes: number;
  /** Bytes hashed so far (all of them once hashing is over, or when a resumed upload skipped it). */
  hashedBytes: number;
  /** Bytes stored on the server, counting chunks stored before this attempt (all of them when done). */
  sentBytes: number;
  chunkTotal: number;
  /** Chunks stored on the server, counting earlier attempts'. */
  sentChunks: number;
  /** Bytes per second of the current phase's work (hashing or sending), over the last few seconds; 0 before anything moved. */
  bytesPerSecond: number;
  /** Seconds the current phase's work should still take at that rate; undefined while unknown. */
  etaSeconds?: number;
}

/**
 * Rate over a sliding window: the bytes moved between the oldest sample within the window (or
 * the last one before it) and now, over the time between. Old samples are dropped as it slides.
 */
export class SlidingRate {
  private samples: { at: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Starts again from `bytes` (a new phase, or chunks already on the server that did not move now). */
  reset(bytes: number): void {
    this.samples = [{ at: this.now(), bytes }];
  }

  record(bytes: number): void {
    const at = this.now();
    this.samples.push({ at, bytes });
    // Keep one sample at or before the window's start, so the window always has a base.
    while (this.samples.length > 2 && this.samples[1].at <= at - this.windowMs) this.samples.shift();
  }

  bytesPerSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (last.bytes - first.bytes) / seconds) : 0;
  }
}

/** Keeps an upload's progress and tells the caller each time it moves. */
export class ProgressTracker {
  private readonly rate: SlidingRate;
  private state: UploadProgress;

  constructor(
    totalBytes: number,
    private readonly listener: ((progress: UploadProgress) => void) | undefined,
    windowMs: number,
    now?: () => number,
  ) {
    this.rate = new SlidingRate(windowMs, now);
    this.rate.reset(0);
    this.state = {
      phase: 'hashing',
      totalBytes,
      hashedBytes: 0,
      sentBytes: 0,
      chunkTotal: 0,
      sentChunks: 0,
      bytesPerSecond: 0,
    };
  }

  hashing(hashedBytes: number): void {
    this.state.hashedBytes = hashedBytes;
    this.rate.record(hashedBytes);
    this.emit(hashedBytes);
  }

  /** Hashing is over (or was skipped for a resumed upload); sending starts from what the server holds. */
  uploading(chunkTotal: number, sentChunks: number, sentBytes: number): void {
    Object.assign(this.state, {
      phase: 'uploading',
      hashedBytes: this.state.totalBytes,
      chunkTotal,
      sentChunks,
      sentBytes,
    });
    this.rate.reset(sentBytes);
    this.emit(sentBytes);
  }

  chunkSent(bytes: number): void {
    this.state.sentChunks += 1;
    this.state.sentBytes += bytes;
    this.rate.record(this.state.sentBytes);
    this.emit(this.state.sentBytes);
  }

  merging(): void {
    Object.assign(this.state, {
      phase: 'merging',
      sentBytes: this.state.totalBytes,
      sentChunks: this.state.chunkTotal,
    });
    this.emit(this.state.totalBytes);
  }

  done(chunkTotal: number): void {
    Object.assign(this.state, {
      phase: 'done',
      hashedBytes: this.state.totalBytes,
      sentBytes: this.state.totalBytes,
      chunkTotal,
      sentChunks: chunkTotal,
    });
    this.emit(this.state.totalBytes);
  }

  /** Reports the state, with rate and ETA for `doneBytes` of the current phase's total. */
  private emit(doneBytes: number): void {
    const bytesPerSecond = this.rate.bytesPerSecond();
    this.state.bytesPerSecond = bytesPerSecond;
    const remaining =
      this.state.phase === 'merging' || this.state.phase === 'done' ? 0 : this.state.totalBytes - doneBytes;
    this.state.etaSeconds = remaining === 0 ? 0 : bytesPerSecond > 0 ? remaining / bytesPerSecond : undefined;
    this.listener?.({ ...this.state });
  }
}
