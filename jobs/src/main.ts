import { runService } from '@learnhub/platform/service-main';
import { startJobs } from './jobs-server';

runService('jobs', async (config, logger) => (await startJobs(config, logger)).stop);
