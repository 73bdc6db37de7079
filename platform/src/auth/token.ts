import { SignJWT } from 'jose';
import type { Role } from './viewer.js';

export interface TokenSubject {
  userId: string;
  roles: readonly Role[];
  organisationId?: string;
  /** Course ids the holder bought, written as the `courses` claim. */
  entitledCourseIds?: readonly string[];
  /** A lifetime such as '30m', '8h' or '7d'; defaults to 8 hours. */
  expiresIn?: string;
}

export interface TokenAudience {
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token that `createTokenVerifier` accepts when given the same secret and audience. */
export function signToken(
  { userId, roles, organisationId, entitledCourseIds, expiresIn = '8h' }: TokenSubject,
  secret: string,
  { issuer, audience }: TokenAudience = {},
): Promise<string> {
  const jwt = new SignJWT({
    roles: [...roles],
    ...(organisationId === undefined ? {} : { org: organisationId }),
    ...(entitledCourseIds === undefined ? {} : { courses: [...entitledCourseIds] }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (issuer) jwt.setIssuer(issuer);
  if (audience) jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
