import { Redis } from 'ioredis';

/** Deletes every key under `prefix` (a run's own, on a shared Redis: version fences never expire). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
