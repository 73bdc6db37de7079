import type { Viewer } from '../auth/viewer';
import type { Logger } from '../logger';
import { Loaders } from './loaders';

/** What every resolver of every subgraph gets: one per request, never shared. */
export interface SubgraphContext {
  requestId: string;
  log: Logger;
  viewer: Viewer;
  /** The caller's `Authorization` header, passed on when this service calls another. */
  authorization?: string;
  loaders: Loaders;
  /** Aborted when the client goes away before its answer: waits done only for it stop then. */
  signal: AbortSignal;
}
