import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Client } from 'pg';
import { databaseKind, sqliteFile } from '../database/database-url';
import type { ReadinessCheck } from '../http/service-app';
import type { Logger } from '../logger';
import { CircuitOpenError } from '../redis/circuit-breaker';
import { RedisLink } from '../redis/redis-link';
import type { RedisSettings } from '../redis/redis-settings';

const PG_CHANNEL = 'learnhub_jobs';
/** Queue names become file names in the wake-up directory: nothing that could leave it or hide in it. */
const QUEUE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const RETRY_MS = 1000;

export type WakeupTransport = 'postgresql' | 'file' | 'redis' | 'poll';

/**
 * Tells idle workers that a queue has new work, so a task starts within milliseconds instead of
 * at the next poll: PostgreSQL's NOTIFY when the queue lives there; a file beside the database
 * when it is SQLite (a local file, so every process using it is on this machine and can watch
 * the same directory, with no server and whether or not Redis is configured); else Redis pub/sub
 * when configured; else nothing and workers fall back to polling. Notify after the enqueuing
 * transaction commits, so a woken worker finds the task. Over Redis, every call has Redis's
 * deadline and circuit breaker: while Redis is unreachable notify costs the enqueuer at most the
 * deadline, then nothing, and listeners poll until they can subscribe again.
 */
export class TaskWakeup {
  private link?: RedisLink;
  private notifier?: Promise<Client>;
  private sending: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly transport: WakeupTransport,
    private readonly databaseUrl: string,
    private readonly redis: RedisSettings | undefined,
    private readonly log?: Logger,
  ) {}

  static for(databaseUrl: string, redis: RedisSettings | undefined, log?: Logger): TaskWakeup {
    const kind = databaseKind(databaseUrl);
    // An in-memory SQLite database is private to its process: there is no other worker to wake.
    const transport: WakeupTransport =
      kind === 'postgresql'
        ? 'postgresql'
        : kind === 'sqlite'
          ? sqliteWakeupDirectory(databaseUrl)
            ? 'file'
            : 'poll'
          : redis
            ? 'redis'
            : 'poll';
    return new TaskWakeup(transport, databaseUrl, redis, log);
  }

  /** `/ready`'s check of what wake-ups need besides the database: Redis, when they go through it. */
  readiness(): ReadinessCheck[] {
    return this.transport === 'redis' ? [{ name: 'redis', check: () => this.redisLink().ping() }] : [];
  }

  /** Channels take no key prefix from Redis clients: the prefix is added here, so installs sharing a Redis wake only their own workers. */
  private get redisChannel(): string {
    return `${this.redis?.keyPrefix ?? ''}jobs`;
  }

  /** The Redis connection of the Redis transport, opened at first use. */
  private redisLink(): RedisLink {
    const { url, timeoutMs, retryMs } = this.redis!;
    return (this.link ??= new RedisLink(url, { use: 'wake-ups', timeoutMs, retryMs, log: this.log }));
  }

  /** Sends and hears nothing, whatever the database: for measuring or testing the poll on its own. */
  static pollOnly(): TaskWakeup {
    return new TaskWakeup('poll', '', undefined);
  }

  /** Wakes the queue's workers. Never fails: the task is stored, and workers find it at their next poll anyway. */
  async notify(queue: string): Promise<void> {
    try {
      if (this.transport === 'postgresql') {
        const client = await (this.notifier ??= this.connectNotifier());
        // One query at a time on the shared client: pg refuses overlapping ones from version 9 on.
        const sent = this.sending.then(() => client.query('select pg_notify($1, $2)', [PG_CHANNEL, queue]));
        this.sending = sent.catch(() => undefined);
        await sent;
      } else if (this.transport === 'file') {
        await this.touch(queue);
      } else if (this.transport === 'redis') {
        await this.redisLink().run((redis) => redis.publish(this.redisChannel, queue));
      }
    } catch (error) {
      this.notifier = undefined;
      // While Redis is known to be down its link has said so once; each wake-up lost meanwhile only waits for the poll.
      if (!(error instanceof CircuitOpenError)) this.log?.warn({ err: error, queue }, 'could not send a job wake-up');
    }
  }

  /** Writing the queue's file is the message: each watcher of the directory sees the change. */
  private async touch(queue: string): Promise<void> {
    if (!QUEUE_NAME.test(queue)) throw new Error(`"${queue}" cannot name a wake-up file`);
    const directory = sqliteWakeupDirectory(this.databaseUrl)!;
    const file = join(directory, queue);
    // The time written only helps whoever looks at the directory; the write is what wakes.
    await writeFile(file, `${Date.now()}\n`).catch(async (error: NodeJS.ErrnoException) => {
      // The first notify on a database can come before any worker has listened and made the directory.
      if (error.code !== 'ENOENT') throw error;
      await mkdir(directory, { recursive: true });
      await writeFile(file, `${Date.now()}\n`);
    });
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
    if (this.transport === 'file') return this.listenFiles(onWake);
    if (this.transport === 'redis') return this.listenRedis(onWake);
    return async () => {};
  }

  /**
   * Subscribes on a connection of its own and checks it every REDIS_RETRY_MS: a subscription whose
   * connection stops answering (a silent network never closes it) is dropped and made again on a
   * fresh connection once Redis answers. Never fails and never waits beyond the deadline: while
   * there is no subscription the workers poll.
   */
  private async listenRedis(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    const link = this.redisLink();
    let subscriber: Redis | undefined;
    let subscribed = false;
    let lost = false;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const drop = () => {
      subscriber?.disconnect();
      subscriber = undefined;
      subscribed = false;
    };
    const check = async (): Promise<void> => {
      try {
        if (!subscriber) {
          subscriber = link.connect();
          subscriber.on('message', (_channel: string, queue: string) => onWake(queue));
        }
        if (subscribed) {
          await link.withinDeadline(subscriber.ping());
        } else {
          await link.withinDeadline(subscriber.subscribe(this.redisChannel));
          subscribed = true;
          if (lost) this.log?.info('job wake-ups over Redis are back');
          lost = false;
        }
      } catch (error) {
        if (!lost)
          this.log?.warn({ err: error }, 'job wake-ups over Redis are lost; workers poll until Redis answers again');
        lost = true;
        drop();
      }
      if (!closed) (timer = setTimeout(() => void check(), link.retryMs)).unref();
    };
    await check();
    return async () => {
      closed = true;
      clearTimeout(timer);
      drop();
    };
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

  /**
   * Watches the wake-up directory (inotify on Linux). A write shows as one or two events, so the
   * queues seen in one turn of the event loop are woken once each. Never fails: without a watcher
   * the workers poll, and a watcher that could not be set up or broke is retried after a second.
   */
  private async listenFiles(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    const directory = sqliteWakeupDirectory(this.databaseUrl)!;
    let watcher: FSWatcher | undefined;
    let retry: NodeJS.Timeout | undefined;
    let closed = false;
    const pending = new Set<string>();
    let flush: NodeJS.Immediate | undefined;
    const wake = (queue: string) => {
      if (closed || !QUEUE_NAME.test(queue)) return;
      pending.add(queue);
      flush ??= setImmediate(() => {
        flush = undefined;
        const queues = [...pending];
        pending.clear();
        for (const name of queues) if (!closed) onWake(name);
      });
    };
    const again = () => {
      if (!closed) (retry = setTimeout(() => void watchDirectory(true), RETRY_MS)).unref();
    };
    const watchDirectory = async (resumed: boolean): Promise<void> => {
      try {
        await mkdir(directory, { recursive: true });
        if (closed) return;
        // Not persistent: listening alone must not keep a process alive.
        const next = watch(directory, { persistent: false }, (_event, file) => file && wake(String(file)));
        next.on('error', (error) => {
          this.log?.warn({ err: error, directory }, 'job wake-up watcher failed; watching again shortly');
          next.close();
          if (watcher === next) watcher = undefined;
          again();
        });
        watcher = next;
      } catch (error) {
        this.log?.warn({ err: error, directory }, 'could not watch for job wake-ups; trying again shortly');
        again();
        return;
      }
      // A queue notified while nothing watched would wait for the poll; waking every queue with a file spares that wait.
      if (resumed) for (const file of await readdir(directory).catch(() => [])) wake(file);
    };
    await watchDirectory(false);
    return async () => {
      closed = true;
      clearTimeout(retry);
      if (flush) clearImmediate(flush);
      watcher?.close();
      watcher = undefined;
    };
  }

  async close(): Promise<void> {
    await this.link?.close();
    const notifier = this.notifier;
    this.notifier = undefined;
    await notifier?.then((client) => client.end()).catch(() => undefined);
  }
}

/** `<database file>.wakeup`, beside the database; undefined for an in-memory database. */
export function sqliteWakeupDirectory(databaseUrl: string): string | undefined {
  const file = sqliteFile(databaseUrl);
  return file === undefined ? undefined : `${file}.wakeup`;
}
