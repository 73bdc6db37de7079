import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@learnhub/platform/config';
import { databaseReadiness, openDatabase } from '@learnhub/platform/database/open-database';
import { closeServer, listen } from '@learnhub/platform/http/lifecycle';
import { createServiceApp } from '@learnhub/platform/http/service-app';
import type { Logger } from '@learnhub/platform/logger';
import { createObjectStore } from '@learnhub/platform/object-store/create-object-store';
import { TaskTable } from '@learnhub/platform/tasks/task-table';
import { redisSettingsOf } from '@learnhub/platform/redis/redis-settings';
import { TaskWakeup } from '@learnhub/platform/tasks/task-wakeup';
import { cacheReadiness, createCache } from '@learnhub/platform/cache/create-cache';
import { outboxMessages } from '@learnhub/content/entities/outbox-message.entity';
import { contentMigrations } from '@learnhub/content/migrations/migrations';
import { contentEntities } from '@learnhub/content/server';
import { HttpMediaDirectory } from '@learnhub/content/services/media-directory';
import { CourseIndexClient } from '@learnhub/search/client/course-index-client';
import { transcodeTasks } from '@learnhub/media/entities/media-process.entity';
import { mediaMigrations } from '@learnhub/media/migrations/migrations';
import { mediaEntities } from '@learnhub/media/server';
import { findFfmpeg, findFfprobe } from '@learnhub/media/services/ffmpeg-binaries';
import { FfprobeProber } from '@learnhub/media/services/ffprobe-prober';
import { TranscodeQueue } from '@learnhub/media/services/transcode-queue';
import { CronSchedule, CronSyntaxError } from './engine/cron';
import { JobsEngine } from './engine/jobs-engine';
import { FfmpegTranscoder } from './processors/transcode/ffmpeg-transcoder';
import { TranscodeProcessor } from './processors/transcode/transcode-processor';
import { WorkerWorkDirs } from './processors/transcode/worker-work-dirs';
import { UploadCleanupProcessor } from './processors/upload-cleanup/upload-cleanup-processor';
import { CacheEntryStage } from './processors/course-publish/cache-entry-stage';
import { CoursePageStage } from './processors/course-publish/course-page-stage';
import { CoursePublishProcessor } from './processors/course-publish/course-publish-processor';
import { SearchDocumentStage } from './processors/course-publish/search-document-stage';

export interface RunningJobs {
  port: number;
  workerId: string;
  stop(): Promise<void>;
}

/** Workers of one queue on one database form one group, whatever else shares the Redis. */
const groupPrefixOf = (databaseUrl: string) => `${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 12)}:`;

/**
 * A background-jobs worker process: the jobs engine with the transcoding queue, the publish
 * outbox and the abandoned-upload cleanup, plus health, readiness and metrics. Start as many as you like on
 * the same databases; they split the work by shards of live members.
 */
export async function startJobs(config: Config, logger: Logger, port = config.jobs.port): Promise<RunningJobs> {
  const jobs = config.jobs;
  let cleanupSchedule: CronSchedule;
  try {
    cleanupSchedule = CronSchedule.parse(jobs.uploadCleanupCron);
  } catch (error) {
    if (error instanceof CronSyntaxError) throw new Error(`UPLOAD_CLEANUP_CRON="${jobs.uploadCleanupCron}" is not a valid schedule: ${error.message}`);
    throw error;
  }
  const workerId = (jobs.workerId ?? `${hostname()}-${process.pid}`).slice(0, 64);
  const workDirs = new WorkerWorkDirs(join(config.dataDir, 'tmp', 'transcode'), workerId, jobs.leaseMs * 3);
  const sweep = async () => {
    const removed = await workDirs.sweep();
    if (removed.length > 0) logger.info({ removed }, 'removed the transcode work folders of workers that are gone');
  };
  await sweep();
  const workDir = await workDirs.claim();
  // The media subgraph owns these tables; migrating here too lets a worker start first on a fresh database.
  const orm = await openDatabase({ url: config.media.databaseUrl, entities: mediaEntities, migrations: mediaMigrations, logger });
  // Likewise content's, for the publish outbox.
  const content = await openDatabase({ url: config.content.databaseUrl, entities: contentEntities, migrations: contentMigrations, logger }).catch(async (error) => {
    await orm.close();
    throw error;
  });
  const store = createObjectStore(config.objectStore, config.files);
  const cache = createCache(config, logger);
  const redis = redisSettingsOf(config);
  const wakeups = [TaskWakeup.for(config.media.databaseUrl, redis, logger), TaskWakeup.for(config.content.databaseUrl, redis, logger)];
  const { app, metrics } = createServiceApp({
    service: 'jobs',
    logger,
    config,
    readiness: [
      databaseReadiness(orm, 'media database'),
      databaseReadiness(content, 'content database'),
      { name: 'object store', check: () => store.ping() },
      ...cacheReadiness(cache),
      { name: 'membership', check: () => engine.membershipState() },
    ],
  });
  const prober = new FfprobeProber(findFfprobe(config.media.ffprobePath));
  const leases = { leaseMs: jobs.leaseMs, renewEveryMs: jobs.renewEveryMs, backoff: { baseMs: jobs.retryBaseMs, maxMs: jobs.retryMaxMs } };
  const transcode = new TranscodeProcessor(
    new TaskTable(orm.em.fork(), transcodeTasks),
    store,
    new FfmpegTranscoder(findFfmpeg(config.media.ffmpegPath), { preset: jobs.transcodePreset }),
    prober,
    {
      ...leases,
      concurrency: jobs.transcodeConcurrency,
      stallMs: jobs.transcodeStallMs,
      workDir,
    },
  );
  const media = new HttpMediaDirectory(config.gateway.mediaUrl, config.gatewaySecret);
  const publish = new CoursePublishProcessor(
    new TaskTable(content.em.fork(), outboxMessages),
    [new CoursePageStage(content.em, store, media), new SearchDocumentStage(new CourseIndexClient(config.gateway.searchUrl, config.gatewaySecret)), new CacheEntryStage(cache)],
    { em: content.em, media },
    { ...leases, concurrency: jobs.publishConcurrency },
  );
  const cleanup = new UploadCleanupProcessor(
    orm.em.fork(),
    cleanupSchedule,
    store,
    config.limits.uploadSessionTtlSeconds,
    new TranscodeQueue(prober, store, wakeups[0]),
    { leaseMs: config.limits.uploadMergeLeaseMs, owner: `jobs:${workerId}` },
  );
  const engine = new JobsEngine(
    {
      workerId,
      heartbeatMs: jobs.heartbeatMs,
      memberTtlMs: jobs.heartbeatMs * 3,
      pollMs: jobs.pollMs,
      groupPrefix: groupPrefixOf(config.media.databaseUrl),
      redis,
    },
    [transcode, publish],
    [cleanup],
    wakeups,
    metrics.registry,
    logger,
  );
  const close = () => Promise.all([orm.close(), content.close(), store.close(), cache.close(), ...wakeups.map((wakeup) => wakeup.close())]);
  // Workers that die while others run are cleared by those; a folder from another machine goes stale in three leases.
  const sweeping = setInterval(() => void sweep().catch((error) => logger.warn({ err: error }, 'sweeping transcode work folders failed')), jobs.leaseMs);
  sweeping.unref();
  try {
    await engine.start();
    const running = await listen(app, port, jobs.host, config.http);
    logger.info({ port: running.port, workerId }, 'jobs ready');
    return {
      port: running.port,
      workerId,
      async stop() {
        clearInterval(sweeping);
        await closeServer(running.server);
        await engine.stop(config.shutdownGraceMs);
        await workDirs.release();
        await close();
      },
    };
  } catch (error) {
    clearInterval(sweeping);
    await engine.stop(0).catch(() => undefined);
    await close();
    throw error;
  }
}
