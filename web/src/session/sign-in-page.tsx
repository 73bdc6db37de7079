import { type FormEvent, useEffect, useId, useState } from 'react';
import { labels } from '../i18n/labels';
import { navigate } from '../routing/router';
import { ErrorNotice } from '../ui/status';
import { useSession } from './session';
import { claimsOf, expired } from './token-claims';

type DevSignIn = { roles: string[] } | 'absent' | 'unknown';

/** Signs in by a pasted token (production: the site's login hands one over) or, in development, a token the gateway signs. */
export function SignInPage() {
  const { signIn } = useSession();
  const [dev, setDev] = useState<DevSignIn>('unknown');
  useEffect(() => {
    const ask = new AbortController();
    fetch('/dev/sign-in', { signal: ask.signal })
      .then(async (response) => setDev(response.ok ? ((await response.json()) as { roles: string[] }) : 'absent'))
      .catch(() => setDev('absent'));
    return () => ask.abort();
  }, []);
  const done = (token: string) => {
    signIn(token);
    navigate('/');
  };
  return (
    <section aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{labels.signIn.title}</h1>
      {typeof dev === 'object' && <DevSignInForm roles={dev.roles} onToken={done} />}
      <TokenForm onToken={done} />
    </section>
  );
}

function DevSignInForm({ roles, onToken }: { roles: string[]; onToken(token: string): void }) {
  const [error, setError] = useState<unknown>();
  const [role, setRole] = useState(roles[0] ?? 'member');
  const ids = { role: useId(), org: useId(), user: useId() };
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(undefined);
    try {
      const response = await fetch('/dev/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role, organisationId: form.get('org') || undefined, userId: form.get('user') }),
      });
      const body = (await response.json()) as { token?: string; error?: string };
      if (!response.ok || !body.token) throw new Error(body.error ?? `HTTP ${response.status}`);
      onToken(body.token);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${ids.role}-title`}>
      <h2 id={`${ids.role}-title`}>{labels.signIn.devTitle}</h2>
      <p>{labels.signIn.devHint}</p>
      <label htmlFor={ids.role}>{labels.signIn.role}</label>
      <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {labels.roles[r] ?? r}
          </option>
        ))}
      </select>
      {/* Auditors and admins are the platform's staff, not an organisation's. */}
      {role === 'member' && (
        <>
          <label htmlFor={ids.org}>{labels.signIn.organisation}</label>
          <input id={ids.org} name="org" defaultValue="1232141425" required maxLength={64} />
        </>
      )}
      <label htmlFor={ids.user}>{labels.signIn.user}</label>
      <input id={ids.user} name="user" defaultValue="author-1" required maxLength={64} />
      {error !== undefined && <ErrorNotice error={error} />}
      <button type="submit">{labels.signIn.submit}</button>
    </form>
  );
}

function TokenForm({ onToken }: { onToken(token: string): void }) {
  const [problem, setProblem] = useState<string>();
  const id = useId();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget).get('token') ?? '').trim();
    const claims = claimsOf(token);
    if (!claims) return setProblem(labels.signIn.tokenMalformed);
    if (expired(claims)) return setProblem(labels.signIn.tokenExpired);
    onToken(token);
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{labels.signIn.tokenTitle}</h2>
      <p>{labels.signIn.tokenHint}</p>
      <label htmlFor={id}>{labels.signIn.token}</label>
      <textarea
        id={id}
        name="token"
        rows={4}
        required
        aria-invalid={problem !== undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
      />
      {problem && (
        <p id={`${id}-problem`} className="field-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit">{labels.signIn.useToken}</button>
    </form>
  );
}
