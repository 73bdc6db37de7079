import { abortedError, UploadError } from './upload-error.js';

export interface RetryPolicy {
  /** Further attempts after the first, for errors worth retrying. */
  retries: number;
  /** Delay before the first retry; each further one doubles it, with jitter, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Waits `ms`, or rejects with ABORTED as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wait before retry number `failures` (from 0): exponential, with jitter so clients that failed together do not retry together. */
export function backoffDelay(policy: RetryPolicy, failures: number, error?: UploadError): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** failures);
  const jittered = exponential * (0.5 + Math.random() / 2);
  // A server that said how long to wait (429, 503) is believed, within the same ceiling.
  const asked =
    error?.retryAfterSeconds !== undefined ? Math.min(policy.maxDelayMs, error.retryAfterSeconds * 1000) : 0;
  return Math.max(jittered, asked);
}

export interface RetryHooks {
  /** Called before each retry; it may throw to stop (e.g. when the file turns out to have changed). */
  beforeRetry?: (error: UploadError, failures: number) => Promise<void> | void;
}

/** Runs `attempt` until it succeeds, retrying errors worth it (UploadError.retryable) up to `policy.retries` times. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  hooks: RetryHooks = {},
): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted) throw abortedError(signal);
      if (!(error instanceof UploadError) || !error.retryable || failures >= policy.retries) throw error;
      await hooks.beforeRetry?.(error, failures);
      await sleep(backoffDelay(policy, failures, error), signal);
    }
  }
}
