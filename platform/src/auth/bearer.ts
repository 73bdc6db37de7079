import { unauthenticated } from '../errors.js';
import type { TokenVerifier } from './token-verifier.js';
import { anonymous, type Viewer } from './viewer.js';

/** The viewer an `Authorization` header stands for: anonymous without one, else a verified bearer token. */
export async function viewerFromRequest(
  authorizationHeader: string | undefined,
  verifier: TokenVerifier,
): Promise<Viewer> {
  if (authorizationHeader === undefined) return anonymous;
  const header = authorizationHeader.trim();
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme.toLowerCase() !== 'bearer') {
    throw unauthenticated('Only bearer tokens are accepted: send "Authorization: Bearer <jwt>".');
  }
  if (token === '') throw unauthenticated('The Authorization header has no token after "Bearer".');
  return verifier.verify(token);
}
