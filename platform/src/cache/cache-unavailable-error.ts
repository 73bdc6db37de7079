/** The cache could not be reached (refused, silent, too slow, or known to be down); it may answer again in `retryInMs`. */
export class CacheUnavailableError extends Error {
  readonly code = 'CACHE_UNAVAILABLE';

  constructor(
    readonly retryInMs: number,
    cause: unknown,
  ) {
    super(`the cache is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CacheUnavailableError';
  }
}
