import { runService } from '@learnhub/platform/service-main';
import { startGateway } from './gateway-server';

runService('gateway', (config, logger) => startGateway(config, logger).then((gateway) => gateway.stop));
