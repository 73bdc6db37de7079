import { startSubgraphAlone, type SubgraphAlone } from '@learnhub/platform/testing';
import { startContent } from '../server';

export type ContentSubgraph = SubgraphAlone;

/** The content subgraph serving `databaseUrl` on a free port, as its own process would serve it. */
export function startContentSubgraph(databaseUrl: string, env: Record<string, string> = {}): Promise<ContentSubgraph> {
  return startSubgraphAlone(startContent, { CONTENT_DATABASE_URL: databaseUrl, ...env });
}
