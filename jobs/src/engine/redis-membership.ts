import { Redis } from 'ioredis';
import type { Membership } from './membership';

/** Membership in a Redis sorted set per group, scored by Redis's clock, so the database sees no heartbeat writes. */
export class RedisMembership implements Membership {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
  }

  private key(group: string): string {
    return `learnhub:jobs:members:${group}`;
  }

  async beat(group: string, workerId: string, ttlMs: number): Promise<string[]> {
    const [seconds, micros] = await this.redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const key = this.key(group);
    const [, , [, members]] = (await this.redis
      .multi()
      .zadd(key, now, workerId)
      .zremrangebyscore(key, '-inf', now - ttlMs)
      .zrange(key, 0, -1)
      .pexpire(key, ttlMs * 10)
      .exec()) as [unknown, unknown, [unknown, string[]], unknown];
    return [...members].sort();
  }

  async leave(group: string, workerId: string): Promise<void> {
    await this.redis.zrem(this.key(group), workerId);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
