import type { Logger } from '@learnhub/platform/logger';
import type { Membership } from './membership';

/**
 * Membership in Redis while Redis answers, else in each queue's own database (`job_workers`): a
 * worker cut off from Redis keeps a shard among the members beating in the database, and goes back
 * to Redis at the first beat Redis answers (its breaker tries Redis again every REDIS_RETRY_MS),
 * leaving the database membership at once. While workers are on different sides they see
 * different members; claims are atomic and leases fenced, so each task still has one holder, and
 * a worker whose own shard has nothing due claims from every shard, so no task waits for the views
 * to agree.
 */
export class RedisOrDatabaseMembership implements Membership {
  /** The groups whose last beat went to the database, and why Redis was not used. */
  private readonly inDatabase = new Set<string>();
  private redisError?: unknown;

  constructor(
    private readonly redis: Membership,
    private readonly databaseOf: (group: string) => Membership,
    private readonly log: Logger,
  ) {}

  /** Where the members are kept now, for `/ready`. */
  describe(): string {
    if (this.inDatabase.size === 0) return 'in Redis';
    const reason = this.redisError instanceof Error ? this.redisError.message : String(this.redisError);
    return `in the database while Redis is unreachable (${reason}); back to Redis once it answers`;
  }

  async beat(group: string, workerId: string, ttlMs: number): Promise<string[]> {
    let members: string[];
    try {
      members = await this.redis.beat(group, workerId, ttlMs);
    } catch (error) {
      members = await this.databaseOf(group).beat(group, workerId, ttlMs);
      this.redisError = error;
      if (this.inDatabase.size === 0) {
        this.log.warn(
          { err: error },
          'jobs membership falls back to the database while Redis is unreachable; it returns to Redis when Redis answers',
        );
      }
      this.inDatabase.add(group);
      return members;
    }
    if (this.inDatabase.delete(group)) {
      // Said when describe() starts to say it, not after the database answers the leave below.
      if (this.inDatabase.size === 0) this.log.info('jobs membership is back in Redis');
      // The workers still in the database would count this one for a time-to-live more, keeping a shard nobody works.
      await this.databaseOf(group)
        .leave(group, workerId)
        .catch((error) =>
          this.log.warn({ err: error, group }, 'leaving the database membership failed; it expires on its own'),
        );
    }
    return members;
  }

  leave(group: string, workerId: string): Promise<void> {
    return this.inDatabase.has(group)
      ? this.databaseOf(group).leave(group, workerId)
      : this.redis.leave(group, workerId);
  }

  close(): Promise<void> {
    return this.redis.close();
  }
}
