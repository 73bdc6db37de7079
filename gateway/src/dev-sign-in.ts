import express, { type Request, type Response, Router } from 'express';
import { isRole, type Role, Roles, signToken } from '@learnhub/platform/auth';
import type { Config } from '@learnhub/platform/config';

const ID = /^[A-Za-z0-9_.@-]{1,64}$/;
const LIFETIME = '8h';

/** Why a sign-in request cannot be answered, or its subject. */
function subjectOf(body: unknown): { problem: string } | { userId: string; role: Role; organisationId?: string } {
  const { role, userId, organisationId } = (typeof body === 'object' && body !== null ? body : {}) as Record<
    string,
    unknown
  >;
  if (!isRole(role)) return { problem: `role must be one of ${Roles.join(', ')}.` };
  if (typeof userId !== 'string' || !ID.test(userId))
    return { problem: 'userId must be 1 to 64 letters, digits or _ . @ -.' };
  if (organisationId !== undefined && (typeof organisationId !== 'string' || !ID.test(organisationId)))
    return { problem: 'organisationId must be 1 to 64 letters, digits or _ . @ -.' };
  if (role === 'member' && organisationId === undefined) return { problem: 'A member needs an organisationId.' };
  return { userId, role, ...(organisationId === undefined ? {} : { organisationId }) };
}

/**
 * Development only: signs a token for a chosen role, organisation and user, so the console can be
 * used without an identity provider. Only mounted when NODE_ENV=development and tokens are
 * signed with AUTH_JWT_SECRET.
 */
export function devSignIn(config: Config): Router | undefined {
  const secret = config.auth.jwtSecret;
  if (config.env !== 'development' || !secret || config.auth.jwksUrl) return undefined;
  const router = Router();
  router.get('/dev/sign-in', (_req: Request, res: Response) => void res.json({ roles: Roles, lifetime: LIFETIME }));
  router.post('/dev/sign-in', express.json({ limit: '4kb' }), async (req: Request, res: Response) => {
    const subject = subjectOf(req.body);
    if ('problem' in subject) return void res.status(400).json({ error: subject.problem });
    const token = await signToken(
      { userId: subject.userId, roles: [subject.role], organisationId: subject.organisationId, expiresIn: LIFETIME },
      secret,
      config.auth,
    );
    res.json({ token });
  });
  return router;
}
