import type { EntityManager } from '@mikro-orm/core';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { databaseKind, databaseKindOf } from '../database/open-database';
import type { Logger } from '../logger';

const PG_CHANNEL = 'learnhub_jobs';
const REDIS_CHANNEL = 'learnhub:jobs';

/**
 * Tells idle workers that a queue has new work, so a task starts within milliseconds instead of
 * at the next poll: PostgreSQL's NOTIFY when the queue lives there (sent inside the enqueuing
 * transaction, so it arrives with the commit), else Redis pub/sub when configured, else nothing
 * and workers fall back to polling.
 */
export class TaskWakeup {
  private redis?: Redis;

  private constructor(
    readonly transport: 'postgresql' | 'redis' | 'poll',
    private readonly databaseUrl: string,
    private readonly redisUrl: string | undefined,
    private readonly log?: Logger,
  ) {}

  static for(databaseUrl: string, redisUrl: string | undefined, log?: Logger): TaskWakeup {
    const transport = databaseKind(databaseUrl) === 'postgresql' ? 'postgresql' : redisUrl ? 'redis' : 'poll';
    return new TaskWakeup(transport, databaseUrl, redisUrl, log);
  }

  /** Wakes the queue's workers; inside a transaction on PostgreSQL, the message waits for its commit. */
  async notify(em: EntityManager, queue: string): Promise<void> {
    if (this.transport === 'postgresql' && databaseKindOf(em) === 'postgresql') {
      await em.getConnection().execute('select pg_notify(?, ?)', [PG_CHANNEL, queue], 'all', em.getTransactionContext());
    } else if (this.transport === 'redis') {
      this.redis ??= new Redis(this.redisUrl!, { maxRetriesPerRequest: 2, lazyConnect: false });
      try {
        await this.redis.publish(REDIS_CHANNEL, queue);
      } catch (error) {
        // The task is stored; workers still find it at their next poll.
        this.log?.warn({ err: error, queue }, 'could not publish a job wake-up');
      }
    }
  }

  /** Calls `onWake(queue)` for every wake-up until the returned function is called. */
  async listen(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    if (this.transport === 'postgresql') return this.listenPostgres(onWake);
    if (this.transport === 'redis') {
      const subscriber = new Redis(this.redisUrl!, { maxRetriesPerRequest: 2 });
      subscriber.on('message', (_channel: string, queue: string) => onWake(queue));
      subscriber.on('error', (error: Error) => this.log?.warn({ err: error }, 'job wake-up subscription error'));
      await subscriber.subscribe(REDIS_CHANNEL);
      return async () => void subscriber.disconnect();
    }
    return async () => {};
  }

  private async listenPostgres(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    let client: Client | undefined;
    let closed = false;
    // Workers poll meanwhile; a wake-up missed during the gap only delays a task to that poll.
    const reconnect = () => {
      if (!closed) setTimeout(() => void connect().catch(reconnect), 1000).unref();
    };
    const connect = async (): Promise<void> => {
      const next = new Client({ connectionString: this.databaseUrl });
      next.on('notification', (message) => message.payload && onWake(message.payload));
      next.on('error', (error) => {
        this.log?.warn({ err: error }, 'job wake-up connection lost; reconnecting');
        void next.end().catch(() => {});
        reconnect();
      });
      await next.connect();
      await next.query(`listen ${PG_CHANNEL}`);
      client = next;
    };
    await connect();
    return async () => {
      closed = true;
      await client?.end().catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
  }
}
