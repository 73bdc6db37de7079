import { Redis } from 'ioredis';
import type { ReadinessCheck } from '../http/service-app';
import type { Logger } from '../logger';
import { CircuitBreaker } from './circuit-breaker';

export interface RedisLinkOptions {
  /** What this process uses the connection for, in logs: "cache", "membership", "wake-ups". */
  use: string;
  /** Bounds connecting and every call (REDIS_TIMEOUT_MS, 500 ms by default). */
  timeoutMs?: number;
  /** While Redis is unreachable, how often it is tried again (REDIS_RETRY_MS, 2 s by default). */
  retryMs?: number;
  /** Prepended to every key, so that several apps (or test runs) can share one Redis. */
  keyPrefix?: string;
  log?: Logger;
}

/** Consecutive outages before calls stop waiting for Redis: one slow answer on a busy machine is not an outage. */
const FAILURES_TO_OPEN = 3;

/** Whether a failed Redis call means Redis is unreachable: an error Redis answered with (a refused command or script) says it is up. */
export const isRedisOutage = (error: unknown) => !(error instanceof Error && error.name === 'ReplyError');

/**
 * One Redis connection with short deadlines and a circuit breaker: while Redis is unreachable
 * (refused, silent, or too slow) every call fails within `timeoutMs`, then at once, so callers
 * fall back without waiting; a probe every `retryMs` closes the circuit when Redis is back, and
 * ioredis reconnects on its own meanwhile.
 */
export class RedisLink {
  private readonly redis: Redis;
  private readonly breaker: CircuitBreaker;
  /** REDIS_TIMEOUT_MS: the longest any call or connection attempt may take. */
  readonly timeoutMs: number;
  /** REDIS_RETRY_MS: how often an unreachable Redis is tried again. */
  readonly retryMs: number;

  constructor(
    readonly url: string,
    options: RedisLinkOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 500;
    this.retryMs = options.retryMs ?? 2000;
    this.redis = this.connect({ keyPrefix: options.keyPrefix });
    const log = options.log?.child({ redis: options.use });
    this.breaker = new CircuitBreaker({
      peer: 'Redis',
      failureThreshold: FAILURES_TO_OPEN,
      retryMs: this.retryMs,
      probe: () => this.withinDeadline(this.redis.ping()),
      isOutage: isRedisOutage,
      onChange: (state, cause) =>
        state === 'open'
          ? log?.warn(
              { err: cause, retryMs: this.retryMs },
              'Redis is unreachable: falling back until it answers again',
            )
          : log?.info('Redis answers again'),
    });
  }

  /** A new connection with this link's deadlines; ioredis keeps reconnecting, at most `retryMs` apart. */
  connect(extra: { keyPrefix?: string } = {}): Redis {
    const { timeoutMs, retryMs } = this;
    const redis = new Redis(this.url, {
      ...extra,
      // Calls made while (re)connecting wait in the offline queue, bounded by the command timeout.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      retryStrategy: (times) => Math.min(times * 50, retryMs),
    });
    // Without a listener ioredis prints every connection error; callers see them as rejected calls.
    redis.on('error', () => {});
    return redis;
  }

  get available(): boolean {
    return this.breaker.state === 'closed';
  }

  /** Runs one call (a command, a script, a MULTI) within the deadline; fails at once while Redis is known to be down. */
  run<T>(call: (redis: Redis) => Promise<T>): Promise<T> {
    return this.breaker.run(() => this.withinDeadline(call(this.redis)));
  }

  /** Redis answers a PING; a probe due now runs first, so a Redis that came back is seen at once. */
  async ping(): Promise<void> {
    await this.breaker.settled();
    await this.run((redis) => redis.ping());
  }

  /** `/ready`'s check of this connection. */
  readiness(name = 'redis'): ReadinessCheck {
    return { name, check: () => this.ping() };
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    // QUIT cannot be delivered while disconnected; dropping the socket is then all there is to do.
    await this.withinDeadline(this.redis.quit()).catch(() => this.redis.disconnect());
  }

  /** `call` (on this link's connection or one from `connect()`), rejected once `timeoutMs` has passed without an answer. */
  withinDeadline<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms (REDIS_TIMEOUT_MS)`)),
        this.timeoutMs,
      );
    });
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }
}
