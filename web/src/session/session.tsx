import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { claimsOf, expired, type TokenClaims } from './token-claims';

const storageKey = 'learnhub.token';

export interface Session {
  token?: string;
  claims?: TokenClaims;
  signIn(token: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

/** The token kept in this browser, dropped once it has expired. */
export function storedToken(): string | undefined {
  const token = localStorage.getItem(storageKey) ?? undefined;
  const claims = token ? claimsOf(token) : undefined;
  if (!claims || expired(claims)) {
    localStorage.removeItem(storageKey);
    return undefined;
  }
  return token;
}

/** Holds who is signed in; `onChange` hears each sign-in and sign-out (to drop cached answers). */
export function SessionProvider({ children, onChange }: { children: ReactNode; onChange(): void }) {
  const [token, setToken] = useState(storedToken);
  const signIn = useCallback(
    (next: string) => {
      localStorage.setItem(storageKey, next);
      setToken(next);
      onChange();
    },
    [onChange],
  );
  const signOut = useCallback(() => {
    localStorage.removeItem(storageKey);
    setToken(undefined);
    onChange();
  }, [onChange]);
  const session = useMemo(
    () => ({ token, claims: token ? claimsOf(token) : undefined, signIn, signOut }),
    [token, signIn, signOut],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a SessionProvider above it.');
  return session;
}
