import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken, type TokenSubject } from '@learnhub/platform/auth/token';
import { readConfig } from '@learnhub/platform/config';
import { createLogger } from '@learnhub/platform/logger';
import { startContent } from '../server';

const JWT_SECRET = 'a-content-test-secret-of-at-least-32-characters';

export interface GraphQLAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The content subgraph serving `databaseUrl` on a free port, as its own process would serve it. */
export interface ContentSubgraph {
  origin: string;
  /** A GraphQL request as `viewer` (anonymous without one), with the gateway's secret when it has one. */
  graphql<T>(query: string, variables: object, viewer?: Omit<TokenSubject, 'expiresIn'>): Promise<GraphQLAnswer<T>>;
  stop(): Promise<void>;
}

export async function startContentSubgraph(databaseUrl: string, env: Record<string, string> = {}): Promise<ContentSubgraph> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lh-content-'));
  const config = readConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, AUTH_JWT_SECRET: JWT_SECRET, CONTENT_DATABASE_URL: databaseUrl, ...env });
  const running = await startContent(config, createLogger('content-test', 'silent'), 0);
  const origin = `http://127.0.0.1:${running.port}`;
  return {
    origin,
    async graphql(query, variables, viewer) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (viewer) headers.authorization = `Bearer ${await signToken(viewer, JWT_SECRET)}`;
      if (config.gatewaySecret) headers['x-gateway-secret'] = config.gatewaySecret;
      const response = await fetch(`${origin}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as GraphQLAnswer<never>;
    },
    async stop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
