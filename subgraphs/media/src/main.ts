import { runService } from '@learnhub/platform/service-main';
import { startMedia } from './server';

runService('media', async (config, logger) => (await startMedia(config, logger)).stop);
