import { Redis } from 'ioredis';
import type { Cache } from './cache.js';

export interface RedisCacheOptions {
  /** Prepended to every key, so that several apps (or test runs) can share one Redis. */
  keyPrefix?: string;
  /** How long one call may take, including time spent queued while (re)connecting. */
  commandTimeoutMs?: number;
}

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

/** The cache on Redis. When Redis is unreachable every call rejects promptly instead of waiting for it. */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;

  constructor(url: string, { keyPrefix = 'learnhub:', commandTimeoutMs = 2000 }: RedisCacheOptions = {}) {
    this.redis = new Redis(url, {
      keyPrefix,
      // The offline queue lets calls made before the first connection completes wait for it;
      // one retry then fails queued calls fast while Redis is down, and the timeout bounds the rest.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      commandTimeout: commandTimeoutMs,
      connectTimeout: commandTimeoutMs,
    });
    // Without a listener ioredis prints every connection error; callers see them as rejected calls.
    this.redis.on('error', () => {});
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, value, 'EX', ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(key, value, 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await this.redis.eval(deleteIfEqualsScript, 1, key, value)) === 1;
  }

  async writeVersioned(key: string, version: number, value: string | undefined, ttlSeconds: number): Promise<'applied' | 'stale'> {
    const applied = await this.redis.eval(writeVersionedScript, 2, key, `${key}#version`, version, value ?? '', ttlSeconds);
    return applied === 1 ? 'applied' : 'stale';
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    // QUIT cannot be delivered while disconnected; dropping the socket is then all there is to do.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
