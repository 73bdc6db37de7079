import type { Config } from '@learnhub/platform/config';
import { closeServer, listen } from '@learnhub/platform/http/lifecycle';
import { createServiceApp } from '@learnhub/platform/http/service-app';
import type { Logger } from '@learnhub/platform/logger';

/**
 * The background-jobs process. It serves health, readiness and metrics like every process;
 * processors register with it as they arrive (transcoding, publish outbox, upload cleanup).
 */
export async function startJobs(config: Config, logger: Logger, port = config.jobs.port): Promise<{ port: number; stop(): Promise<void> }> {
  const { app } = createServiceApp({ service: 'jobs', logger });
  const running = await listen(app, port, config.jobs.host);
  logger.info({ port: running.port }, 'jobs ready');
  return { port: running.port, stop: () => closeServer(running.server) };
}
