/**
 * Named points in multi-step work where a test run (TEST_PAUSE_AT, NODE_ENV=test only) holds the
 * process for good, so a test can kill it at exactly that step. Everything else keeps running:
 * timers renew leases and other requests are served, as they would be in a slow process.
 */
export class PausePoints {
  private readonly names: ReadonlySet<string>;

  constructor(names: readonly string[] = []) {
    this.names = new Set(names);
  }

  /** Resolves at once unless `name` was asked for; then never, after saying so on stderr. */
  reach(name: string): Promise<void> {
    if (!this.names.has(name)) return Promise.resolve();
    process.stderr.write(`paused at ${name}\n`);
    return new Promise<void>(() => undefined);
  }
}
