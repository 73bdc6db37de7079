import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Config } from '../config.js';
import { unauthenticated } from '../errors.js';
import { Roles, type Role, type Viewer } from './viewer.js';

export interface TokenVerifier {
  /** The viewer a bearer token stands for; rejects with UNAUTHENTICATED when it stands for none. */
  verify(token: string): Promise<Viewer>;
}

const signInAgain = 'Sign in again to get a new token.';

/**
 * Verifies tokens against the remote key set when `jwksUrl` is set, otherwise as HS256 with
 * `jwtSecret`. Tokens must expire, and carry the configured issuer and audience.
 */
export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  const options: JWTVerifyOptions = { issuer: auth.issuer, audience: auth.audience, requiredClaims: ['exp'] };
  let check: (token: string) => Promise<{ payload: JWTPayload }>;
  if (auth.jwksUrl) {
    const keySet = createRemoteJWKSet(new URL(auth.jwksUrl));
    check = (token) => jwtVerify(token, keySet, options);
  } else if (auth.jwtSecret) {
    const secret = new TextEncoder().encode(auth.jwtSecret);
    check = (token) => jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
  } else {
    throw new Error('Token verification needs auth.jwtSecret or auth.jwksUrl.');
  }

  return {
    async verify(token) {
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await check(token));
      } catch (error) {
        throw explain(error);
      }
      return viewerFromClaims(claims);
    },
  };
}

/**
 * The caller-facing reason a token was refused. Anything else (the key set unreachable or
 * broken) is not the caller's doing, so it stays an internal error.
 */
function explain(error: unknown): unknown {
  if (error instanceof errors.JWTExpired) return unauthenticated(`Your token has expired. ${signInAgain}`);
  if (error instanceof errors.JWTClaimValidationFailed) return unauthenticated(claimProblem(error.claim));
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated(
      `The token's signature is invalid: it was altered or not issued for this site. ${signInAgain}`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthenticated(`The token was signed with a key this site does not recognise. ${signInAgain}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return unauthenticated(`The token is signed with an algorithm this site does not accept. ${signInAgain}`);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return unauthenticated('The token is malformed: send the JWT exactly as issued, as "Authorization: Bearer <jwt>".');
  }
  return error;
}

function claimProblem(claim: string): string {
  switch (claim) {
    case 'exp':
      return `The token has no valid expiry time ("exp"); only expiring tokens are accepted. ${signInAgain}`;
    case 'nbf':
      return 'The token is not valid yet ("nbf" is in the future); check the clock of whatever issued it.';
    case 'iss':
      return `The token was issued by an issuer this site does not accept. ${signInAgain}`;
    case 'aud':
      return `The token was issued for a different audience than this site. ${signInAgain}`;
    default:
      return `The token's "${claim}" claim is invalid. ${signInAgain}`;
  }
}

function viewerFromClaims(claims: JWTPayload): Viewer {
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw unauthenticated(`The token names no user (its "sub" claim is missing). ${signInAgain}`);
  }
  const roles = rolesFrom(claims.roles);
  const { org } = claims;
  if (org !== undefined && (typeof org !== 'string' || org === '')) {
    throw unauthenticated(`The token's organisation ("org" claim) must be a non-empty string. ${signInAgain}`);
  }
  if (roles.includes('member') && org === undefined) {
    throw unauthenticated(`The token makes you a member but names no organisation ("org" claim). ${signInAgain}`);
  }
  const courses = entitledCoursesFrom(claims.courses);
  return {
    userId: claims.sub,
    roles,
    ...(org === undefined ? {} : { organisationId: org }),
    ...(courses === undefined ? {} : { entitledCourseIds: courses }),
  };
}

/** Most entitlements one token may carry: a bigger list belongs in a lookup, not in every request. */
export const MAX_ENTITLED_COURSES = 1000;

/** The `courses` claim (course ids the holder bought), each once; malformed is refused, not ignored, since it grants access. */
function entitledCoursesFrom(claim: unknown): string[] | undefined {
  if (claim === undefined) return undefined;
  if (!Array.isArray(claim) || !claim.every((id) => typeof id === 'string' && id !== '')) {
    throw unauthenticated(
      `The token's "courses" claim must be a list of course ids (non-empty strings). ${signInAgain}`,
    );
  }
  const ids = [...new Set(claim as string[])];
  if (ids.length > MAX_ENTITLED_COURSES) {
    throw unauthenticated(
      `The token's "courses" claim lists ${ids.length} courses; at most ${MAX_ENTITLED_COURSES} are accepted. Ask whoever issued it for a narrower token.`,
    );
  }
  return ids;
}

/** Known roles, each once; roles this version does not know are ignored rather than refused. */
function rolesFrom(claim: unknown): Role[] {
  if (claim === undefined) return [];
  if (!Array.isArray(claim)) {
    throw unauthenticated(`The token's "roles" claim must be a list of role names. ${signInAgain}`);
  }
  return Roles.filter((role) => claim.includes(role));
}
