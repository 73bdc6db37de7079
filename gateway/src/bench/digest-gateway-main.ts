import { runService } from '@learnhub/platform/service-main';
import { startGateway } from '../gateway-server';
import { digestSupergraph } from '../testing/digest-subgraph';

// The gateway as main.js runs it, but serving the digest subgraph's supergraph (as `media`).
runService('gateway', (config, logger) =>
  startGateway(config, logger, { supergraphSdl: digestSupergraph('media') }).then((gateway) => gateway.stop),
);
