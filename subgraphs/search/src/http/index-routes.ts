import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { isAppError } from '@learnhub/platform/errors';
import { requireGatewaySecret } from '@learnhub/platform/http';
import type { CourseIndexingService } from '../services/course-indexing.service';

/**
 * The indexing API beside GraphQL, for services only (the gateway secret guards it when set):
 * `PUT /index/courses/:id` with a course document as JSON, `DELETE /index/courses/:id?version=N`.
 * Both answer `{ "outcome": "applied" | "stale" }`.
 */
export function mountIndexRoutes(
  app: Express,
  indexing: CourseIndexingService,
  gatewaySecret: string | undefined,
): void {
  const router = express.Router();
  if (gatewaySecret) router.use(requireGatewaySecret(gatewaySecret));
  router.put('/courses/:id', express.json({ limit: '1mb' }), async (req: Request<{ id: string }>, res: Response) => {
    res.json({ outcome: await indexing.upsert(req.params.id, req.body) });
  });
  router.delete('/courses/:id', async (req: Request<{ id: string }>, res: Response) => {
    res.json({ outcome: await indexing.remove(req.params.id, req.query.version) });
  });
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (isAppError(error) && error.code === 'BAD_USER_INPUT') {
      res.status(400).json({ error: { code: error.code, message: error.message, fields: error.details.fields ?? [] } });
      return;
    }
    const status = (error as { status?: number }).status;
    if (status === 400 || status === 413 || status === 415) {
      res.status(status).json({
        error: {
          code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT',
          message: `The body must be a course document as JSON of at most 1 MB: ${(error as Error).message}`,
        },
      });
      return;
    }
    req.log.error({ err: error }, 'indexing failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'The index could not be written; retry later.' } });
  });
  app.use('/index', router);
}
