/** A caller gave up waiting for the work under its key to finish. */
export class LockWaitTimeout extends Error {
  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(`Waited ${waitMs} ms for the work under "${key}" to finish.`);
    this.name = 'LockWaitTimeout';
  }
}

/** How long a caller waits for its turn, and who hears of it. */
export interface LockWait {
  /** Gives up with LockWaitTimeout after this long (no limit without it: for work bounded by itself, such as a local file). */
  waitMs?: number;
  /** Gives up with the signal's reason when it aborts (a caller that went away). */
  signal?: AbortSignal;
  /** Counts the callers waiting right now (a Prometheus gauge in production). */
  waiters?: { inc(): void; dec(): void };
}

/** Runs work one at a time per key, within this process; work under different keys runs freely. */
export class KeyedLock {
  /** Per key, settled when the last caller in line is done (or, having given up, when the one ahead of it is). */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
    wait.signal?.throwIfAborted();
    const ahead = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(key, mine);
    const leave = () => {
      release();
      if (this.tails.get(key) === mine) this.tails.delete(key);
    };
    if (ahead) {
      try {
        await this.turn(key, ahead, wait);
      } catch (error) {
        // Those behind a caller that gave up still wait for the work ahead of it.
        void ahead.then(leave);
        throw error;
      }
    }
    try {
      return await work();
    } finally {
      leave();
    }
  }

  private turn(key: string, ahead: Promise<void>, { waitMs, signal, waiters }: LockWait): Promise<void> {
    return new Promise((resolve, reject) => {
      let waiting = true;
      const stop = (error?: unknown) => {
        if (!waiting) return;
        waiting = false;
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        waiters?.dec();
        if (error === undefined) resolve();
        else reject(error);
      };
      const aborted = () => stop(signal!.reason);
      const timer = waitMs === undefined ? undefined : setTimeout(() => stop(new LockWaitTimeout(key, waitMs)), waitMs);
      waiters?.inc();
      signal?.addEventListener('abort', aborted, { once: true });
      void ahead.then(() => stop());
    });
  }

  /** Keys with work running or waiting (for tests: an idle lock holds none). */
  get size(): number {
    return this.tails.size;
  }
}
