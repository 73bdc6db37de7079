import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Cache } from './cache.js';
import { NoCache } from './no-cache.js';
import { RedisCache } from './redis-cache.js';

/** The cache for this process: Redis when a URL is configured, otherwise one that caches nothing. */
export function createCache(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'redisTimeoutMs' | 'redisRetryMs'>,
  log?: Logger,
): Cache {
  if (!config.redisUrl) return new NoCache();
  return new RedisCache(config.redisUrl, {
    keyPrefix: config.redisKeyPrefix,
    timeoutMs: config.redisTimeoutMs,
    retryMs: config.redisRetryMs,
    log,
  });
}
