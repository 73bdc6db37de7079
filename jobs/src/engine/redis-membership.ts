import type { RedisLink } from '@learnhub/platform/redis';
import type { Membership } from './membership';

/**
 * Membership in a Redis sorted set per group, scored by Redis's clock, so the database sees no
 * heartbeat writes. Every call has the link's deadline, and fails at once while Redis is known to be down.
 */
export class RedisMembership implements Membership {
  constructor(private readonly link: RedisLink) {}

  private key(group: string): string {
    return `jobs:members:${group}`;
  }

  beat(group: string, workerId: string, ttlMs: number): Promise<string[]> {
    return this.link.run(async (redis) => {
      const [seconds, micros] = await redis.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const key = this.key(group);
      const [, , [, members]] = (await redis
        .multi()
        .zadd(key, now, workerId)
        .zremrangebyscore(key, '-inf', now - ttlMs)
        .zrange(key, 0, -1)
        .pexpire(key, ttlMs * 10)
        .exec()) as [unknown, unknown, [unknown, string[]], unknown];
      return [...members].sort();
    });
  }

  async leave(group: string, workerId: string): Promise<void> {
    await this.link.run((redis) => redis.zrem(this.key(group), workerId));
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
