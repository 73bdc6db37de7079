/** What the console reads of a token to show who is signed in; the gateway alone verifies it. */
export interface TokenClaims {
  user: string;
  roles: string[];
  organisation?: string;
  /** When it stops being accepted, in epoch milliseconds. */
  expiresAt?: number;
}

/** Whether the token these claims came from is past its expiry. */
export const expired = (claims: TokenClaims): boolean =>
  claims.expiresAt !== undefined && claims.expiresAt <= Date.now();

/** The claims of a JWT, or undefined when `token` is not one. */
export function claimsOf(token: string): TokenClaims | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(
      parts[1]
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(parts[1].length / 4) * 4, '='),
    );
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<
      string,
      unknown
    >;
    if (typeof payload.sub !== 'string') return undefined;
    return {
      user: payload.sub,
      roles: Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [],
      organisation: typeof payload.org === 'string' ? payload.org : undefined,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    };
  } catch {
    return undefined;
  }
}
