import { readableError } from '../api/readable-error';
import { labels } from '../i18n/labels';

export function Loading() {
  return (
    <p className="status" role="status" aria-live="polite">
      {labels.state.loading}
    </p>
  );
}

/** An API error as people read it, with every field it names, and a way to try again. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { message, fields } = readableError(error);
  return (
    <div className="error" role="alert">
      <p>
        <strong>{labels.state.errorTitle}：</strong>
        {message}
      </p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              <code>{f.field}</code>：{f.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {labels.state.retry}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: string }) {
  return <p className="status empty">{children}</p>;
}
