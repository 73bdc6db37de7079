/** The cache port. The default adapter caches nothing, so every read goes to the database. */
export interface Cache {
  readonly kind: 'none' | 'redis';
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
  ping(): Promise<void>;
  close(): Promise<void>;
}
