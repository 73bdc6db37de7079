import { isAppError } from '@learnhub/platform/errors';
import { requireGatewaySecret } from '@learnhub/platform/http';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { CoursePublicationService } from '../services/course-publication.service';

/**
 * `PUT /publications/courses/:courseId`: content (its publish jobs) reports what a course made
 * public. Internal: guarded by the gateway secret when one is configured, as `/files` is.
 */
export function mountPublicationRoute(
  app: Express,
  publications: () => CoursePublicationService,
  gatewaySecret: string | undefined,
): void {
  const guard: RequestHandler[] = gatewaySecret ? [requireGatewaySecret(gatewaySecret)] : [];
  const unreadable: ErrorRequestHandler = (error: { status?: number }, _req, res, _next) => {
    res.status(error.status === 413 ? 413 : 400).json({
      error: 'The body must be a JSON object of at most 256 KiB.',
      fields: [{ field: 'body', message: 'not readable JSON' }],
    });
  };
  app.put(
    '/publications/courses/:courseId',
    ...guard,
    express.json({ limit: '256kb' }),
    unreadable,
    async (req: Request, res: Response) => {
      try {
        const outcome = await publications().report(String(req.params.courseId), req.body);
        res.json({ outcome });
      } catch (error) {
        if (isAppError(error) && error.code === 'BAD_USER_INPUT') {
          res.status(400).json({ error: error.message, fields: error.details.fields });
          return;
        }
        req.log.error({ err: error, courseId: req.params.courseId }, 'recording a course publication failed');
        res.status(500).json({ error: 'The publication could not be recorded; try again.' });
      }
    },
  );
}
