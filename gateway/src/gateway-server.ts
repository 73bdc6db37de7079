import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { createTokenVerifier } from '@learnhub/platform/auth';
import type { Config } from '@learnhub/platform/config';
import type { Logger } from '@learnhub/platform/logger';
import { closeServer, listen } from '@learnhub/platform/http';
import { createServiceApp } from '@learnhub/platform/http';
import { errorReporting } from './error-reporting';
import { corsPolicy } from './cors-policy';
import { filesProxy, noSniff } from './files-proxy';
import { uploadsProxy } from './uploads-proxy';
import { devSignIn } from './dev-sign-in';
import { webConsole } from './web-console';
import { notFound, requestFailed } from './fallback-answers';
import { gatewayContext, type GatewayContext } from './gateway-context';
import { formatGatewayError } from './format-gateway-error';
import { operationResolution } from './operation-resolution';
import { queryLimits } from './query-limits';
import { graphqlRequestErrors } from './request-errors';
import { SubgraphDataSource } from './subgraph-data-source';
import { subgraphUrls } from './subgraph-urls';
import { multipartUploads } from '@learnhub/platform/http';

export interface GatewayOptions {
  /** The supergraph to serve; by default `@learnhub/schema/supergraph.graphql`. */
  supergraphSdl?: string;
  port?: number;
  host?: string;
}

export interface RunningGateway {
  port: number;
  stop(): Promise<void>;
}

function checkedInSupergraph(): string {
  let path: string;
  try {
    path = require.resolve('@learnhub/schema/supergraph.graphql');
  } catch {
    throw new Error('No supergraph found at @learnhub/schema/supergraph.graphql: compose it with `npm run schema`.');
  }
  return readFileSync(path, 'utf8');
}

async function healthOf(graphqlUrl: string): Promise<void> {
  const response = await fetch(new URL('/health', graphqlUrl), { signal: AbortSignal.timeout(2500) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`GET /health answered ${response.status}`);
}

/** Serves the supergraph on `POST /graphql` (JSON and multipart uploads), `/files/*` from the media subgraph, and the web console at `/`. */
export async function startGateway(
  config: Config,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const supergraphSdl = options.supergraphSdl ?? checkedInSupergraph();
  const urls = subgraphUrls(supergraphSdl, config);
  const { app, metrics } = createServiceApp({
    service: 'gateway',
    logger,
    config,
    readiness: [...urls].map(([name, url]) => ({ name, check: () => healthOf(url) })),
  });

  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name }) => {
      const url = urls.get(name);
      if (!url) throw new Error(`The gateway has no URL for subgraph "${name}".`);
      return new SubgraphDataSource(
        { name, url, maxFileBytes: config.limits.uploadMaxBytes, timeoutMs: config.gateway.subgraphTimeoutMs },
        config.gatewaySecret,
      );
    },
  });
  const limits = queryLimits(config);
  const formatError = formatGatewayError(config.env === 'development');
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Our own handler (onShutdownSignal) shuts down; Apollo's would re-raise the signal, which it takes for a second one and exits 1 at once.
    stopOnTerminationSignals: false,
    introspection: config.env !== 'production',
    csrfPrevention: true,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      errorReporting(metrics, formatError),
      operationResolution(),
      ...limits.plugins,
      config.env === 'development'
        ? ApolloServerPluginLandingPageLocalDefault()
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.use(
    ['/graphql', '/files', '/uploads'],
    corsPolicy({ origins: config.http.corsOrigins, allowLocalhost: config.env === 'development' }),
  );
  app.use('/files', noSniff);
  app.get('/files/*path', filesProxy(config.gateway.mediaUrl, config.gatewaySecret, config.gateway.subgraphTimeoutMs));
  // Chunks sent to media's own chunk URLs: raw bytes, never parsed here.
  app.put(
    '/uploads/:token',
    uploadsProxy(
      config.gateway.mediaUrl,
      config.gatewaySecret,
      config.gateway.subgraphTimeoutMs,
      config.limits.chunkSize,
    ),
  );
  app.use(
    '/graphql',
    multipartUploads(config.limits),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: gatewayContext(createTokenVerifier(config.auth)) }),
    graphqlRequestErrors,
  );
  const signIn = devSignIn(config);
  if (signIn) app.use(signIn);
  app.use(webConsole(logger));
  app.use(notFound);
  app.use(requestFailed);

  const host = options.host ?? config.gateway.host;
  const running = await listen(app, options.port ?? config.gateway.port, host, config.http);
  logger.info({ url: `http://${host}:${running.port}/graphql`, subgraphs: Object.fromEntries(urls) }, 'gateway ready');
  return {
    port: running.port,
    async stop() {
      await closeServer(running.server);
      await apollo.stop();
    },
  };
}
