/** How to count and read one queue's live tasks and its finished ones (the history). */
export interface LiveAndFinished<T> {
  /** Undefined when the filter rules the live table out. */
  countLive?: () => Promise<number>;
  /** Undefined when the filter rules the history out. */
  countFinished?: () => Promise<number>;
  live(offset: number, limit: number): Promise<T[]>;
  finished(offset: number, limit: number): Promise<T[]>;
}

/**
 * One page of a queue's tasks as if its two tables were one list: live tasks first, then
 * finished ones, each table in its own order; returns the page and the total.
 */
export async function pageLiveThenFinished<T>(
  tables: LiveAndFinished<T>,
  offset: number,
  limit: number,
): Promise<[T[], number]> {
  const liveTotal = (await tables.countLive?.()) ?? 0;
  const finishedTotal = (await tables.countFinished?.()) ?? 0;
  const items: T[] = [];
  if (offset < liveTotal) items.push(...(await tables.live(offset, limit)));
  // The history continues the list where the live tasks end.
  const finishedOffset = Math.max(0, offset - liveTotal);
  if (items.length < limit && finishedOffset < finishedTotal)
    items.push(...(await tables.finished(finishedOffset, limit - items.length)));
  return [items, liveTotal + finishedTotal];
}
