import { runService } from '@learnhub/platform/service-main';
import { startSearch } from './server';

runService('search', async (config, logger) => (await startSearch(config, logger)).stop);
