import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { opsAccess } from './ops-access';
import { createMetrics, type Metrics } from './metrics';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';

/**
 * A named dependency check for `/ready`; it rejects (or times out) when the dependency is
 * unreachable, and may resolve with a detail for the operator (where a fallback is working, say).
 */
export interface ReadinessCheck {
  name: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a check that has nothing to report resolves with nothing.
  check(): Promise<void | string>;
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const READY_TIMEOUT_MS = 3000;

/** A low-cardinality route for metrics: the mount point and route pattern, never raw paths. */
function routeLabel(req: Request, status: number): string {
  const path = req.originalUrl.split('?')[0];
  if (path.startsWith('/files/')) return '/files';
  // The rest of an upload URL is a one-off capability.
  if (path.startsWith('/uploads/')) return '/uploads';
  if (typeof req.route?.path === 'string') return `${req.baseUrl}${req.route.path}`;
  if (req.baseUrl) return req.baseUrl;
  return status === 404 ? 'unmatched' : path;
}

async function runCheck(
  check: ReadinessCheck,
): Promise<{ name: string; ok: boolean; detail?: string; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      }),
    ]);
    return typeof detail === 'string' ? { name: check.name, ok: true, detail } : { name: check.name, ok: true };
  } catch (error) {
    return { name: check.name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The express app every process starts from: request ids, access timing, `/health`, `/ready`
 * and `/metrics`. Routes added afterwards inherit the request id and child logger. In
 * production `/ready` and `/metrics` answer only operators (see opsAccess); `/health` is open.
 */
export function createServiceApp(options: {
  service: string;
  logger: Logger;
  config: Pick<Config, 'env' | 'http'>;
  readiness?: ReadinessCheck[];
}): { app: Express; metrics: Metrics } {
  const { service, logger, readiness = [] } = options;
  const operatorsOnly = opsAccess(options.config);
  const metrics = createMetrics(service);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    req.id = requestIdOf(req);
    req.log = logger.child({ requestId: req.id });
    res.setHeader(REQUEST_ID_HEADER, req.id);
    const stop = metrics.httpRequests.startTimer({ method: req.method });
    res.on('finish', () => stop({ route: routeLabel(req, res.statusCode), status: String(res.statusCode) }));
    next();
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/ready', operatorsOnly, async (_req, res) => {
    const results = await Promise.all(readiness.map(runCheck));
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', service, checks: results });
  });
  app.get('/metrics', operatorsOnly, async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return { app, metrics };
}
