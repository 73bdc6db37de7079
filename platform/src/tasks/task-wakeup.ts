import { Redis } from 'ioredis';
import { Client } from 'pg';
import { databaseKind } from '../database/open-database';
import type { Logger } from '../logger';

const PG_CHANNEL = 'learnhub_jobs';
const REDIS_CHANNEL = 'learnhub:jobs';

/**
 * Tells idle workers that a queue has new work, so a task starts within milliseconds instead of
 * at the next poll: PostgreSQL's NOTIFY when the queue lives there, else Redis pub/sub when
 * configured, else nothing and workers fall back to polling. Notify after the enqueuing
 * transaction commits, so a woken worker finds the task.
 */
export class TaskWakeup {
  private redis?: Redis;
  private notifier?: Promise<Client>;

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

  /** Wakes the queue's workers. Never fails: the task is stored, and workers find it at their next poll anyway. */
  async notify(queue: string): Promise<void> {
    try {
      if (this.transport === 'postgresql') {
        const client = await (this.notifier ??= this.connectNotifier());
        await client.query('select pg_notify($1, $2)', [PG_CHANNEL, queue]);
      } else if (this.transport === 'redis') {
        this.redis ??= new Redis(this.redisUrl!, { maxRetriesPerRequest: 2 });
        await this.redis.publish(REDIS_CHANNEL, queue);
      }
    } catch (error) {
      this.notifier = undefined;
      this.log?.warn({ err: error, queue }, 'could not send a job wake-up');
    }
  }

  private async connectNotifier(): Promise<Client> {
    const client = new Client({ connectionString: this.databaseUrl });
    // A broken connection is replaced at the next notify.
    client.on('error', () => (this.notifier = undefined));
    await client.connect();
    return client;
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
    const notifier = this.notifier;
    this.notifier = undefined;
    await notifier?.then((client) => client.end()).catch(() => undefined);
  }
}
