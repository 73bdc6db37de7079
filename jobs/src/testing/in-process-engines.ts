import { after, before } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { Registry } from 'prom-client';
import { openDatabase } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { TaskTable, type TaskTableDefinition } from '@learnhub/platform/tasks';
import { createScratchTables, scratchQueue } from '@learnhub/platform/testing';
import type { TestDatabase, TestDatabaseFactory } from '@learnhub/platform/testing';
import { JobsEngine } from '../engine/jobs-engine';
import type { QueueProcessor } from '@learnhub/platform/tasks';
import type { ProcessorLease } from '@learnhub/platform/tasks';
import { uniqueQueueName } from './scratch-fleet';

export interface InProcessEngineOptions {
  maxAttempts?: number;
  concurrency?: number;
  lease?: ProcessorLease;
  /** A TaskTable of the test's own over the queue (one that delays claims, say). */
  table?: (queue: TaskTableDefinition) => TaskTable;
}

/**
 * Registers before/after hooks on the current suite: a fresh database of `factory`'s kind, and
 * `start` runs a JobsEngine in this process on a fresh scratch queue there, with a short
 * heartbeat and poll. Engines are stopped and the database dropped afterwards.
 */
export function inProcessEngines(factory: TestDatabaseFactory, prefix: string) {
  let database: TestDatabase | undefined;
  let orm: MikroORM | undefined;
  const engines: JobsEngine[] = [];
  before(async () => {
    database = await factory.create();
    orm = await openDatabase({ url: database.url, entities: [], migrations: [] });
  });
  after(async () => {
    await Promise.allSettled(engines.map((engine) => engine.stop(0)));
    await orm?.close();
    await database?.drop();
  });
  const opened = () => {
    if (!orm) throw new Error('The database opens in a before hook: use it inside tests.');
    return orm;
  };
  return {
    get orm(): MikroORM {
      return opened();
    },
    async start(process: QueueProcessor['process'], options: InProcessEngineOptions = {}) {
      const orm = opened();
      const queue = scratchQueue(uniqueQueueName(prefix));
      await createScratchTables(orm.em, queue, options.maxAttempts ?? 3);
      const table = options.table?.(queue) ?? new TaskTable(orm.em.fork(), queue);
      const processor: QueueProcessor = {
        table,
        concurrency: options.concurrency ?? 4,
        lease: options.lease ?? { leaseMs: 30_000, renewEveryMs: 1_000, backoff: { baseMs: 100, maxMs: 1_000 } },
        process,
      };
      const engine = new JobsEngine(
        {
          workerId: `${prefix}-worker`,
          heartbeatMs: 100,
          memberTtlMs: 1_000,
          pollMs: 50,
          groupPrefix: `${queue.queue}:`,
        },
        [processor],
        [],
        [],
        new Registry(),
        createLogger('test', 'silent'),
      );
      engines.push(engine);
      await engine.start();
      const rows = (sql: string, params: unknown[] = []) =>
        orm.em
          .getConnection()
          .execute(sql.replaceAll('$t', queue.table).replaceAll('$h', queue.historyTable), params) as Promise<
          Array<Record<string, unknown>>
        >;
      const metric = async (name: 'succeeded' | 'failed' | 'leaseLost' | 'claimed') =>
        (await engine.metrics[name].get()).values.find((v) => v.labels.queue === queue.queue)?.value ?? 0;
      return { engine, queue, table, rows, metric };
    },
  };
}
