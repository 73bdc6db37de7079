import type { Redis } from 'ioredis';
import type { ReadinessCheck } from '../http/service-app.js';
import { isRedisOutage, RedisLink, type RedisLinkOptions } from '../redis/redis-link.js';
import type { Cache } from './cache.js';
import { CacheUnavailableError } from './cache-unavailable-error.js';

export type RedisCacheOptions = Partial<Omit<RedisLinkOptions, 'use'>>;

const deleteIfEqualsScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// KEYS: entry, version fence. ARGV: version, value ('' deletes), ttl seconds.
const writeVersionedScript = `
local newest = tonumber(redis.call('GET', KEYS[2]) or '-1')
if newest > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1`;

/**
 * The cache on Redis. While Redis is unreachable every call rejects within the deadline, then at
 * once (see RedisLink), with CacheUnavailableError, so readers fall back to the database in
 * milliseconds and writers know to try again later.
 */
export class RedisCache implements Cache {
  private readonly link: RedisLink;

  constructor(url: string, { keyPrefix = 'learnhub:', timeoutMs, retryMs, log }: RedisCacheOptions = {}) {
    this.link = new RedisLink(url, { use: 'cache', keyPrefix, timeoutMs, retryMs, log });
  }

  private async run<T>(call: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await this.link.run(call);
    } catch (error) {
      throw isRedisOutage(error) ? new CacheUnavailableError(this.link.retryMs, error) : error;
    }
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.run((redis) => redis.get(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.run((redis) => redis.set(key, value, 'EX', ttlSeconds));
  }

  async delete(key: string): Promise<void> {
    await this.run((redis) => redis.del(key));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.run((redis) => redis.set(key, value, 'EX', ttlSeconds, 'NX'))) === 'OK';
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await this.run((redis) => redis.eval(deleteIfEqualsScript, 1, key, value))) === 1;
  }

  async writeVersioned(
    key: string,
    version: number,
    value: string | undefined,
    ttlSeconds: number,
  ): Promise<'applied' | 'stale'> {
    const applied = await this.run((redis) =>
      redis.eval(writeVersionedScript, 2, key, `${key}#version`, version, value ?? '', ttlSeconds),
    );
    return applied === 1 ? 'applied' : 'stale';
  }

  ping(): Promise<void> {
    return this.link.ping();
  }

  readiness(): ReadinessCheck[] {
    return [this.link.readiness('redis')];
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
