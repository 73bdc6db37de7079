import type { Config } from '../config';
import type { RedisLinkOptions } from './redis-link';

/** Where Redis is and how long to wait for it: what every Redis connection of a process is opened with. */
export interface RedisSettings extends Pick<RedisLinkOptions, 'keyPrefix' | 'timeoutMs' | 'retryMs'> {
  url: string;
}

/** REDIS_URL, REDIS_KEY_PREFIX, REDIS_TIMEOUT_MS and REDIS_RETRY_MS; undefined when no Redis is configured. */
export function redisSettingsOf(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'redisTimeoutMs' | 'redisRetryMs'>,
): RedisSettings | undefined {
  if (!config.redisUrl) return undefined;
  return {
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    timeoutMs: config.redisTimeoutMs,
    retryMs: config.redisRetryMs,
  };
}
