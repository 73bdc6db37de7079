import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '@learnhub/platform/config';
import { closeServer, listen } from '@learnhub/platform/http';
import { createServiceApp } from '@learnhub/platform/http';
import type { Logger } from '@learnhub/platform/logger';
import { createObjectStore } from '@learnhub/platform/object-store';
import type { JobHost, JobModule, JobModuleFactory } from '@learnhub/platform/tasks';
import { redisSettingsOf } from '@learnhub/platform/redis';
import { createCache } from '@learnhub/platform/cache';
import { openContentJobs } from '@learnhub/content/jobs';
import { openMediaJobs } from '@learnhub/media/jobs';
import { JobsEngine } from './engine/jobs-engine';
import { registerProcessors } from './engine/processor-registry';

export interface RunningJobs {
  port: number;
  workerId: string;
  stop(): Promise<void>;
}

/** Workers of one queue on one database form one group, whatever else shares the Redis. */
const groupPrefixOf = (databaseUrl: string) =>
  `${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 12)}:`;

/** Each subgraph's background work; adding a subgraph's jobs means adding its entry here. */
const MODULES: readonly JobModuleFactory[] = [openMediaJobs, openContentJobs];

/**
 * A background-jobs worker process: the jobs engine running every subgraph's job module (the
 * transcoding queue and the abandoned-upload cleanup of media, the publish outbox of content),
 * plus health, readiness and metrics. Start as many as you like on the same databases; they split
 * the work by shards of live members.
 */
export async function startJobs(config: Config, logger: Logger, port = config.jobs.port): Promise<RunningJobs> {
  const jobs = config.jobs;
  const workerId = (jobs.workerId ?? `${hostname()}-${process.pid}`).slice(0, 64);
  const store = createObjectStore(config.objectStore, config.files);
  const cache = createCache(config, logger);
  const modules: JobModule[] = [];
  const close = async () => {
    await Promise.all(modules.map((module) => module.close()));
    await Promise.all([store.close(), cache.close()]);
  };
  let engine: JobsEngine | undefined;
  try {
    const host: JobHost = { config, logger, workerId, store, cache };
    for (const open of MODULES) modules.push(await open(host));
    const { processors, scheduled } = registerProcessors(modules);
    const { app, metrics } = createServiceApp({
      service: 'jobs',
      logger,
      config,
      readiness: [
        ...modules.flatMap((module) => module.readiness),
        { name: 'object store', check: () => store.ping() },
        ...cache.readiness(),
        { name: 'membership', check: () => engine!.membershipState() },
      ],
    });
    engine = new JobsEngine(
      {
        workerId,
        heartbeatMs: jobs.heartbeatMs,
        memberTtlMs: jobs.heartbeatMs * 3,
        pollMs: jobs.pollMs,
        groupPrefix: groupPrefixOf(config.media.databaseUrl),
        redis: redisSettingsOf(config),
      },
      processors,
      scheduled,
      modules.map((module) => module.wakeup),
      metrics.registry,
      logger,
    );
    await engine.start();
    const running = await listen(app, port, jobs.host, config.http);
    logger.info({ port: running.port, workerId }, 'jobs ready');
    const started = engine;
    return {
      port: running.port,
      workerId,
      async stop() {
        await closeServer(running.server);
        await started.stop(config.shutdownGraceMs);
        await close();
      },
    };
  } catch (error) {
    await engine?.stop(0).catch(() => undefined);
    await close();
    throw error;
  }
}
