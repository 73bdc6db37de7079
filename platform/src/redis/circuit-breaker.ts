/** `closed`: calls go through. `open`: calls fail at once while a probe now and then asks whether the peer is back. */
export type CircuitState = 'closed' | 'open';

/** A call refused without trying because the peer failed recently; `cause` is the failure that opened the circuit. */
export class CircuitOpenError extends Error {
  readonly code = 'CIRCUIT_OPEN';

  constructor(peer: string, retryMs: number, cause: unknown) {
    super(
      `${peer} is unreachable (${cause instanceof Error ? cause.message : String(cause)}); calls fail at once until a check every ${retryMs} ms finds it back`,
      { cause },
    );
    this.name = 'CircuitOpenError';
  }
}

export interface CircuitBreakerOptions {
  /** Names the peer in errors, e.g. "Redis". */
  peer: string;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long after opening (or after a failed probe) the next probe runs. */
  retryMs: number;
  /** The half-open probe: resolves when the peer answers. It runs on its own, never as a caller's call. */
  probe: () => Promise<unknown>;
  /** Whether an error means the peer is unreachable (default: every error). A refused command is not. */
  isOutage?: (error: unknown) => boolean;
  onChange?: (state: CircuitState, cause?: unknown) => void;
}

/**
 * Stops callers from waiting on a peer that is down: after `failureThreshold` consecutive outages
 * every call fails at once. A call made while open, once `retryMs` has passed, starts a probe in
 * the background (callers never pay for it); when the probe succeeds the circuit closes.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private cause: unknown;
  private probing?: Promise<void>;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): CircuitState {
    return this.current;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.current === 'open') {
      this.probeWhenDue();
      throw new CircuitOpenError(this.options.peer, this.options.retryMs, this.cause);
    }
    try {
      const result = await call();
      this.failures = 0;
      return result;
    } catch (error) {
      if (this.isOutage(error) && ++this.failures >= this.options.failureThreshold && this.current === 'closed')
        this.open(error);
      throw error;
    }
  }

  /** Resolves once a probe due now has finished (none is due while closed or before `retryMs`). */
  async settled(): Promise<void> {
    if (this.current === 'open') this.probeWhenDue();
    await this.probing;
  }

  private isOutage(error: unknown): boolean {
    return this.options.isOutage?.(error) ?? true;
  }

  private open(cause: unknown): void {
    this.current = 'open';
    this.openedAt = Date.now();
    this.cause = cause;
    this.options.onChange?.('open', cause);
  }

  private probeWhenDue(): void {
    if (this.probing || Date.now() - this.openedAt < this.options.retryMs) return;
    this.probing = this.options
      .probe()
      .then(
        () => {
          this.current = 'closed';
          this.failures = 0;
          this.cause = undefined;
          this.options.onChange?.('closed');
        },
        (error: unknown) => {
          // Still down: wait a full interval again, and keep the newest reason for the errors.
          this.openedAt = Date.now();
          this.cause = error;
        },
      )
      .finally(() => (this.probing = undefined));
  }
}
