import type { Cache } from './cache.js';
import { NoCache } from './no-cache.js';
import { RedisCache, type RedisCacheOptions } from './redis-cache.js';

/** The cache for this process: Redis when a URL is configured, otherwise one that caches nothing. */
export function createCache(redisUrl?: string, options?: RedisCacheOptions): Cache {
  return redisUrl ? new RedisCache(redisUrl, options) : new NoCache();
}
