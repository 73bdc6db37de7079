/**
 * Who is working a queue right now. Workers beat regularly; a member whose last beat is older
 * than the time-to-live has left (crashed or stopped), and the others take over its shard.
 */
export interface Membership {
  /** Records the worker as alive and returns the live members' ids. */
  beat(group: string, workerId: string, ttlMs: number): Promise<string[]>;
  leave(group: string, workerId: string): Promise<void>;
  close(): Promise<void>;
}
