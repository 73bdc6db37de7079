import type { Cache } from '../cache/cache';
import type { Config } from '../config';
import type { ReadinessCheck } from '../http/service-app';
import type { Logger } from '../logger';
import type { ObjectStore } from '../object-store/object-store';
import type { QueueProcessor, ScheduledProcessor } from './processor';
import type { TaskTableDefinition } from './task-table';
import type { TaskWakeup } from './task-wakeup';

/** What the jobs process lends every module: its settings and the connections modules share. */
export interface JobHost {
  config: Config;
  logger: Logger;
  /** Unique among live workers; lease owners and work folders carry it. */
  workerId: string;
  store: ObjectStore;
  cache: Cache;
}

/**
 * One subgraph's background work, built by the subgraph from its own tables and services: the
 * jobs process only runs it. The owner's service migrates the database; a module waits for that.
 */
export interface JobModule {
  /** The owning subgraph, in logs and errors. */
  owner: string;
  /** The queues in the owner's database; each must have exactly one processor across all modules. */
  queues: readonly TaskTableDefinition[];
  processors: QueueProcessor[];
  scheduled: ScheduledProcessor[];
  /** How enqueuers on the owner's database wake the workers of its queues. */
  wakeup: TaskWakeup;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export type JobModuleFactory = (host: JobHost) => Promise<JobModule>;
