/** What a write to the course index did: `stale` when the index already holds a newer version of the course. */
export type WriteOutcome = 'applied' | 'stale';
