import { runService } from '@learnhub/platform/service-main';
import { startDigestSubgraph } from '../testing/digest-subgraph';

// The benchmark's receiving subgraph when the real media subgraph is not built: it digests uploads on MEDIA_PORT.
runService(
  'digest-subgraph',
  async (config) => (await startDigestSubgraph({ port: config.media.port, gatewaySecret: config.gatewaySecret })).stop,
);
