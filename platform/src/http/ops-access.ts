import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config';

/** 127.0.0.0/8, ::1, and IPv4 loopback as an IPv6-mapped address. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const ipv4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4);
}

/** Compares digests in constant time, so response timing reveals neither how much of a guess was right nor the length. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Guards the operational endpoints (`/ready`, `/metrics`): they tell an outsider what runs
 * behind the service. In production they answer only `Authorization: Bearer <OPS_TOKEN>`, or,
 * without OPS_TOKEN, only requests from this machine; anyone else is told there is nothing
 * here (404). Outside production they are open.
 */
export function opsAccess(config: Pick<Config, 'env' | 'http'>) {
  const token = config.http.opsToken;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (config.env !== 'production') return next();
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const allowed = token ? bearer !== undefined && sameSecret(bearer, token) : isLoopback(req.socket.remoteAddress);
    if (allowed) return next();
    res.status(404).json({ error: 'Not found.' });
  };
}
