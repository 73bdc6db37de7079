import type { ReadinessCheck } from '../http/service-app.js';

/**
 * What a versioned write did: `applied`; `stale` when a newer version was written before;
 * `uncached` when this cache keeps nothing, so there was nothing to write.
 */
export type VersionedWriteOutcome = 'applied' | 'stale' | 'uncached';

/**
 * The cache port. The default adapter caches nothing, so every read goes to the database. While
 * the cache cannot be reached, calls reject with CacheUnavailableError (other errors: it answered and refused).
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Sets `key` only when it is absent (a lock); true when this caller set it.
   * The no-op adapter always answers true, since there is nobody to race with.
   */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Deletes `key` only while it still holds `value` (releasing one's own lock). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Versioned entries: writes `value` (or, with `undefined`, deletes the entry) only when no newer
   * version of `key` was written before, so a late writer of an older version changes nothing.
   * The highest version is remembered apart from the entry and outlives its expiry and deletion.
   */
  writeVersioned(
    key: string,
    version: number,
    value: string | undefined,
    ttlSeconds: number,
  ): Promise<VersionedWriteOutcome>;
  ping(): Promise<void>;
  /** `/ready`'s checks of what this cache needs (its server, if it has one). */
  readiness(): ReadinessCheck[];
  close(): Promise<void>;
}
