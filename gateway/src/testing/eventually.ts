import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries `check` (an async assertion) until it passes or `timeoutMs` is over, then throws its
 * last failure. The waiting is for background work (a jobs worker); nothing here asserts how long it took.
 */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 30_000, stepMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        (error as Error).message = `${what}: still failing after ${timeoutMs} ms: ${(error as Error).message}`;
        throw error;
      }
    }
    await sleep(stepMs);
  }
}
