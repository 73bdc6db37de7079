import { join } from 'node:path';
import { freePort, type ServiceProcess } from '@learnhub/platform/testing';
import type { ServiceProcessGroup } from '@learnhub/platform/testing';
import { migrateOwnedDatabases } from './owned-databases';

/** What tests that start, kill and replace real jobs workers share: their processes, the media database, one data folder. */
export interface JobsProcessSetup {
  /** Closed in the suite's `after` hook, so no worker outlives the suite. */
  processes: ServiceProcessGroup;
  dataDir: string;
  databaseUrl: string;
}

/**
 * Starts `node dist/main.js` of jobs in test mode as worker `workerId` on `setup`, with short
 * leases, heartbeats, polls and backoff and one transcode at a time; `env` adds or overrides settings.
 */
export async function startJobsProcess(
  setup: JobsProcessSetup,
  workerId: string,
  env: NodeJS.ProcessEnv = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const settings: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATA_DIR: setup.dataDir,
    MEDIA_DATABASE_URL: setup.databaseUrl,
    JOBS_PORT: String(port),
    JOBS_WORKER_ID: workerId,
    JOBS_LEASE_MS: '2000',
    JOBS_RENEW_MS: '250',
    JOBS_HEARTBEAT_MS: '300',
    JOBS_POLL_MS: '200',
    JOBS_RETRY_BASE_MS: '200',
    TRANSCODE_CONCURRENCY: '1',
    ...env,
  };
  await migrateOwnedDatabases(settings);
  return setup.processes.start(workerId, join(__dirname, '..', 'main.js'), settings, `http://127.0.0.1:${port}/health`);
}

/** The folder where worker `workerId` writes its partial output (see WorkerWorkDirs). */
export const transcodeWorkDir = (dataDir: string, workerId: string) => join(dataDir, 'tmp', 'transcode', workerId);
