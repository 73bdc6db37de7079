import { join } from 'node:path';
import { awaitMigrations, databaseReadiness } from '@learnhub/platform/database';
import type { JobHost, JobModule } from '@learnhub/platform/tasks';
import { CronSchedule, CronSyntaxError } from '@learnhub/platform/tasks';
import { processorLeaseOf } from '@learnhub/platform/tasks';
import { TaskTable } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { redisSettingsOf } from '@learnhub/platform/redis';
import { openMediaDatabase } from '../database/media-database';
import { transcodeTasks } from '../entities/media-process.entity';
import { TranscodeQueue } from '../services/transcode-queue';
import { findFfmpeg, findFfprobe } from '../video-tools/ffmpeg-binaries';
import { FfmpegTranscoder } from '../video-tools/ffmpeg-transcoder';
import { FfprobeProber } from '../video-tools/ffprobe-prober';
import { TranscodeProcessor } from './transcode-processor';
import { UploadCleanupProcessor } from './upload-cleanup-processor';
import { WorkerWorkDirs } from './worker-work-dirs';

/**
 * Media's background work in a jobs worker: transcoding videos browsers cannot play, and the
 * scheduled cleanup of abandoned uploads (which also finishes merges whose process died).
 */
export async function openMediaJobs(host: JobHost): Promise<JobModule> {
  const { config, logger, store, workerId } = host;
  const jobs = config.jobs;
  let cleanupSchedule: CronSchedule;
  try {
    cleanupSchedule = CronSchedule.parse(jobs.uploadCleanupCron);
  } catch (error) {
    if (error instanceof CronSyntaxError)
      throw new Error(`UPLOAD_CLEANUP_CRON="${jobs.uploadCleanupCron}" is not a valid schedule: ${error.message}`);
    throw error;
  }
  const lease = processorLeaseOf(jobs);
  const workDirs = new WorkerWorkDirs(join(config.dataDir, 'tmp', 'transcode'), workerId, lease.leaseMs * 3);
  const sweep = async () => {
    const removed = await workDirs.sweep();
    if (removed.length > 0) logger.info({ removed }, 'removed the transcode work folders of workers that are gone');
  };
  await sweep();
  const workDir = await workDirs.claim();
  const orm = await openMediaDatabase(config.media.databaseUrl, { logger, migrate: false });
  const wakeup = TaskWakeup.for(config.media.databaseUrl, redisSettingsOf(config), logger);
  const close = async () => {
    clearInterval(sweeping);
    await workDirs.release();
    await Promise.all([orm.close(), wakeup.close()]);
  };
  // Workers that die while others run are cleared by those; a folder from another machine goes stale in three leases.
  const sweeping = setInterval(
    () => void sweep().catch((error) => logger.warn({ err: error }, 'sweeping transcode work folders failed')),
    lease.leaseMs,
  );
  sweeping.unref();
  try {
    await awaitMigrations(orm, 'media', jobs.schemaWaitMs, logger);
  } catch (error) {
    await close();
    throw error;
  }
  const prober = new FfprobeProber(findFfprobe(config.media.ffprobePath));
  const transcode = new TranscodeProcessor(
    new TaskTable(orm.em.fork(), transcodeTasks),
    store,
    new FfmpegTranscoder(findFfmpeg(config.media.ffmpegPath), { preset: jobs.transcodePreset }),
    prober,
    {
      lease,
      concurrency: jobs.transcodeConcurrency,
      stallMs: jobs.transcodeStallMs,
      workDir,
    },
  );
  const cleanup = new UploadCleanupProcessor(
    orm.em.fork(),
    cleanupSchedule,
    store,
    config.limits.uploadSessionTtlSeconds,
    new TranscodeQueue(prober, store, wakeup),
    { leaseMs: config.limits.uploadMergeLeaseMs, owner: `jobs:${workerId}` },
  );
  return {
    owner: 'media',
    queues: [transcodeTasks],
    processors: [transcode],
    scheduled: [cleanup],
    wakeup,
    readiness: [databaseReadiness(orm, 'media database')],
    close,
  };
}
