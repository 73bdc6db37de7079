import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks `check` every `everyMs` until it gives something other than undefined, null or false, and
 * returns that. A check that throws has not passed yet, so an assertion can be the check. After
 * `timeoutMs` the wait fails naming `what`, with the check's last error and `details` (a log
 * tail, the rows seen). The deadline only bounds the wait: nothing here asserts how long it took.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs: number,
  details?: () => string | Promise<string>,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      const last = failure === undefined ? '' : `; last: ${failure instanceof Error ? failure.message : String(failure)}`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last}${details ? `\n${await details()}` : ''}`, { cause: failure });
    }
    await sleep(everyMs);
  }
}
