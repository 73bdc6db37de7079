import { isAppError } from '@learnhub/platform/errors';
import { requireGatewaySecret } from '@learnhub/platform/http';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { MediaUsageService } from '../services/media-usage.service';

/**
 * `GET /media-usage/:mediaId?organisationId=<org>`: media asks, before deleting an item, which
 * of the organisation's courses use it. Internal: guarded by the gateway secret when one is
 * configured, as `/graphql` is. Answers `{ "courses": [{ "id", "name", "state" }] }`.
 */
export function mountMediaUsageRoute(
  app: Express,
  usage: () => MediaUsageService,
  gatewaySecret: string | undefined,
): void {
  const guard: RequestHandler[] = gatewaySecret ? [requireGatewaySecret(gatewaySecret)] : [];
  app.get('/media-usage/:mediaId', ...guard, async (req: Request<{ mediaId: string }>, res: Response) => {
    // A repeated parameter arrives as a list: that names no one organisation.
    const organisationId = typeof req.query.organisationId === 'string' ? req.query.organisationId : '';
    try {
      res.json({ courses: await usage().coursesUsing(organisationId, req.params.mediaId) });
    } catch (error) {
      if (isAppError(error) && error.code === 'BAD_USER_INPUT') {
        res.status(400).json({ error: error.message, fields: error.details.fields ?? [] });
        return;
      }
      req.log.error({ err: error, mediaId: req.params.mediaId }, 'looking up media usage failed');
      res.status(500).json({ error: 'The media usage could not be read; try again.' });
    }
  });
}
