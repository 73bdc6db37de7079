import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const GATEWAY_SECRET_HEADER = 'x-gateway-secret';

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Refuses requests that did not come through the gateway, so `_entities` cannot be called around it. */
export function requireGatewaySecret(secret: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const sent = req.headers[GATEWAY_SECRET_HEADER];
    if (typeof sent === 'string' && same(sent, secret)) return next();
    res.status(403).json({
      errors: [
        {
          message: 'This service only answers the gateway: send your request to the gateway URL.',
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
  };
}
