import { readConfig, type Config } from '@learnhub/platform/config';
import { createLogger } from '@learnhub/platform/logger';
import { startGateway, type RunningGateway } from '../gateway-server';
import { digestSupergraph, startDigestSubgraph, type DigestSubgraph } from './digest-subgraph';

export const TEST_JWT_SECRET = 'test-secret-'.padEnd(40, 'x');

export interface GatewayFixture {
  /** The gateway's origin, `http://127.0.0.1:<port>`. */
  origin: string;
  /** The gateway's GraphQL endpoint. */
  graphql: string;
  config: Config;
  subgraph: DigestSubgraph;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

/**
 * A real gateway on a free port in front of a real digest subgraph named `media`; `env`
 * overrides settings, `subgraphMaxFiles` gives the subgraph a file-count limit of its own.
 */
export async function startGatewayFixture(
  env: Record<string, string> = {},
  subgraphMaxFiles?: number,
): Promise<GatewayFixture> {
  const subgraph = await startDigestSubgraph({ gatewaySecret: env.GATEWAY_SECRET, maxFiles: subgraphMaxFiles });
  try {
    const config = readConfig({ NODE_ENV: 'test', AUTH_JWT_SECRET: TEST_JWT_SECRET, MEDIA_URL: subgraph.url, ...env });
    const gateway = await startGateway(config, createLogger('gateway', 'silent'), {
      supergraphSdl: digestSupergraph('media'),
      port: 0,
      host: '127.0.0.1',
    });
    const origin = `http://127.0.0.1:${gateway.port}`;
    return {
      origin,
      graphql: `${origin}/graphql`,
      config,
      subgraph,
      gateway,
      async stop() {
        await gateway.stop();
        await subgraph.stop();
      },
    };
  } catch (error) {
    await subgraph.stop();
    throw error;
  }
}

export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
  };
}

/** POSTs a JSON GraphQL request. */
export async function postGraphQL(
  url: string,
  request: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<GraphQLResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult['body'] };
}

/** POSTs a GraphQL multipart request: `files` maps each file field to its blob, name and paths. */
export async function postMultipart(
  url: string,
  operation: { query: string; variables: Record<string, unknown> },
  files: { blob: Blob; filename: string; paths: string[] }[],
  headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
): Promise<GraphQLResult> {
  const form = new FormData();
  form.append('operations', JSON.stringify(operation));
  form.append('map', JSON.stringify(Object.fromEntries(files.map((file, index) => [String(index), file.paths]))));
  files.forEach((file, index) => form.append(String(index), file.blob, file.filename));
  const response = await fetch(url, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(60_000) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult['body'] };
}
