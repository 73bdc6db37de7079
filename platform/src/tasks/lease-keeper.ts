import type { Logger } from '../logger';

export interface LeaseKeeperOptions {
  leaseMs: number;
  renewEveryMs: number;
  log: Logger;
  /** The reason `controller` is aborted with once the lease is gone. */
  lost: () => Error;
}

/**
 * Keeps a lease renewed while its work runs, and aborts the work's controller when the lease is
 * lost: a renewal that finds another holder, or renewals failing for longer than the lease
 * lasts (past its end another holder may have it, so working on would be for nothing).
 */
export class LeaseKeeper {
  private renewedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly controller: AbortController,
    /** Extends the lease; false when it is no longer this holder's. */
    private readonly renewLease: () => Promise<boolean>,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.timer = setInterval(() => void this.renew(), options.renewEveryMs);
  }

  async renew(): Promise<void> {
    if (this.controller.signal.aborted) return;
    try {
      if (await this.renewLease()) this.renewedAt = Date.now();
      else this.controller.abort(this.options.lost());
    } catch (error) {
      // A failed renewal is not a lost lease: the next one may succeed well before the lease runs out.
      this.options.log.warn({ err: error }, 'renewing a lease failed');
      if (Date.now() - this.renewedAt > this.options.leaseMs) this.controller.abort(this.options.lost());
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
