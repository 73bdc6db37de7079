import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken, type TokenSubject } from '../auth/token';
import { readConfig, type Config } from '../config';
import type { RunningSubgraph } from '../graphql/subgraph-server';
import { createLogger, type Logger } from '../logger';

const JWT_SECRET = 'a-subgraph-test-secret-of-at-least-32-characters';

export interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** One subgraph served on a free port with its data in a fresh folder, as its own process would serve it. */
export interface SubgraphAlone {
  config: Config;
  origin: string;
  /** A GraphQL request as `viewer` (anonymous without one), with the gateway's secret when it has one. */
  graphql<T>(query: string, variables?: object, viewer?: Omit<TokenSubject, 'expiresIn'>): Promise<GraphQLAnswer<T>>;
  stop(): Promise<void>;
}

/** Starts a subgraph alone (`env` over test defaults: embedded SQLite in the fresh folder, a test token secret). */
export async function startSubgraphAlone(
  start: (config: Config, logger: Logger, port: number) => Promise<RunningSubgraph>,
  env: Record<string, string> = {},
): Promise<SubgraphAlone> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lh-subgraph-'));
  let running: RunningSubgraph;
  let config: Config;
  try {
    config = readConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, AUTH_JWT_SECRET: JWT_SECRET, ...env });
    running = await start(config, createLogger('subgraph-test', 'silent'), 0);
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const origin = `http://127.0.0.1:${running.port}`;
  const secret = config.auth.jwtSecret ?? JWT_SECRET;
  return {
    config,
    origin,
    async graphql<T>(query: string, variables: object = {}, viewer?: Omit<TokenSubject, 'expiresIn'>) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (viewer) headers.authorization = `Bearer ${await signToken(viewer, secret)}`;
      if (config.gatewaySecret) headers['x-gateway-secret'] = config.gatewaySecret;
      const response = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      return (await response.json()) as GraphQLAnswer<T>;
    },
    async stop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
