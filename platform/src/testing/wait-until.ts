import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks `check` every `everyMs` until it gives something other than undefined, null or false, and
 * returns that. After `timeoutMs` the wait fails naming `what`, with `details` (a log tail, the
 * rows seen). A check that throws ends the wait with its error, so it can say when waiting on is
 * pointless (the process exited, the task failed). The deadline only bounds a failing wait:
 * nothing here asserts how long anything took.
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
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${details ? `\n${await details()}` : ''}`);
    await sleep(everyMs);
  }
}
