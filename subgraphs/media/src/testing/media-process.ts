import { join } from 'node:path';
import type { ServiceProcess } from '@learnhub/platform/testing';
import type { ServiceProcessGroup } from '@learnhub/platform/testing';

/** What every test that kills and restarts real media processes shares: their processes, one database, one data folder. */
export interface MediaProcessSetup {
  /** Closed in the suite's `after` hook, so no media process outlives the suite. */
  processes: ServiceProcessGroup;
  dataDir: string;
  databaseUrl: string;
  jwtSecret: string;
  port: number;
}

/** Starts `node dist/main.js` of media in test mode on `setup`, with short merge leases; `env` adds or overrides settings. */
export function startMediaProcess(setup: MediaProcessSetup, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return setup.processes.start(
    'media',
    join(__dirname, '..', 'main.js'),
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: setup.dataDir,
      AUTH_JWT_SECRET: setup.jwtSecret,
      MEDIA_PORT: String(setup.port),
      MEDIA_DATABASE_URL: setup.databaseUrl,
      UPLOAD_MERGE_LEASE_SECONDS: '2',
      ...env,
    },
    `http://127.0.0.1:${setup.port}/health`,
  );
}
