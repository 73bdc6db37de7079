import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import { viewerFromRequest } from '../auth/bearer';
import { createTokenVerifier } from '../auth/token-verifier';
import type { Config } from '../config';
import { isAppError } from '../errors';
import type { Logger } from '../logger';
import { requireGatewaySecret } from '../http/gateway-secret';
import { closeServer, listen } from '../http/lifecycle';
import { multipartUploads } from '../http/multipart-uploads';
import { requestSignal } from '../http/request-signal';
import type { Metrics } from '../http/metrics';
import { createServiceApp, type ReadinessCheck } from '../http/service-app';
import { formatError } from './format-error';
import { Loaders } from './loaders';
import type { SubgraphContext } from './subgraph-context';

export interface SubgraphOptions<Extra extends object> {
  name: string;
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  /** What must answer before the subgraph is ready: its database, its index. */
  readiness: ReadinessCheck[];
  /** Extra routes (e.g. file serving) mounted before `/graphql`. */
  routes?: (app: Express) => void;
  /** Per-request additions to the context, such as the subgraph's services bound to a forked EntityManager. */
  extendContext: (base: SubgraphContext) => Extra;
  /** Registers the subgraph's own metrics on the process's registry, once. */
  registerMetrics?: (registry: Registry) => void;
}

export interface RunningSubgraph {
  port: number;
  stop(): Promise<void>;
}

/** Counts errors by code and logs the unexpected ones with the request id, before formatting hides them. */
function errorReporting(metrics: Metrics): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = error.originalError;
            const code = isAppError(original) ? original.code : String(error.extensions?.code ?? 'INTERNAL');
            metrics.graphqlErrors.inc({ code });
            if (!isAppError(original) && !(original instanceof GraphQLError) && original) {
              contextValue?.log?.error({ err: original, path: error.path }, 'unexpected error');
            }
          }
        },
      };
    },
  };
}

/** Serves a subgraph: health/ready/metrics, the gateway-secret guard, multipart uploads and Apollo. */
export async function startSubgraph<Extra extends object>(
  options: SubgraphOptions<Extra>,
  port: number,
  host: string,
): Promise<RunningSubgraph> {
  const { config, logger } = options;
  const verifier = createTokenVerifier(config.auth);
  const { app, metrics } = createServiceApp({
    service: options.name,
    logger,
    config,
    readiness: options.readiness,
  });
  options.registerMetrics?.(metrics.registry);
  if (config.gatewaySecret) app.use(['/graphql', '/files'], requireGatewaySecret(config.gatewaySecret));
  options.routes?.(app);

  const apollo = new ApolloServer<SubgraphContext>({
    schema: options.schema,
    formatError: (formatted, error) => formatError(formatted, error, config.env === 'development'),
    includeStacktraceInErrorResponses: false,
    // Our own handler (onShutdownSignal) shuts down; Apollo's would re-raise the signal, which it takes for a second one and exits 1 at once.
    stopOnTerminationSignals: false,
    introspection: config.env !== 'production',
    plugins: [errorReporting(metrics), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();

  app.use(
    '/graphql',
    multipartUploads(config.limits),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        let viewer;
        try {
          viewer = await viewerFromRequest(req.headers.authorization, verifier);
        } catch (error) {
          const message = isAppError(error) ? error.message : 'The token could not be verified.';
          throw new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        const base: SubgraphContext = {
          requestId: req.id,
          log: req.log,
          viewer,
          authorization: req.headers.authorization,
          loaders: new Loaders(),
          signal: requestSignal(req, res),
        };
        return { ...base, ...options.extendContext(base) };
      },
    }),
  );

  const running = await listen(app, port, host, config.http);
  logger.info({ url: `http://${host}:${running.port}/graphql` }, `${options.name} subgraph ready`);
  return {
    port: running.port,
    async stop() {
      await closeServer(running.server);
      await apollo.stop();
    },
  };
}
