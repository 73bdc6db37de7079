import { runService } from '@learnhub/platform/service-main';
import { startContent } from './server';

runService('content', async (config, logger) => (await startContent(config, logger)).stop);
