import { abortedError, UploadError } from './upload-error.js';

/** Any `fetch` (the global one by default); tests and apps may pass their own. */
export type Fetch = typeof fetch;

/**
 * Sends one request with a deadline and turns a failure to get an answer into an UploadError:
 * ABORTED when the caller's signal stopped it, else NETWORK_ERROR saying why (which is retried).
 * Bodies are bytes already read (see readRange, which reports a changed file as FILE_CHANGED).
 */
export async function fetchWithDeadline(
  fetchImpl: Fetch,
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Response> {
  if (signal.aborted) throw abortedError(signal);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const stop = () => deadline.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    return await fetchImpl(url, { ...init, signal: deadline.signal });
  } catch (error) {
    if (signal.aborted) throw abortedError(signal);
    const why = deadline.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describe(error);
    throw new UploadError(`Could not reach ${new URL(url).origin}: ${why}.`, 'NETWORK_ERROR', { cause: error });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}

/** The body of an answer, read under the same deadline rules as the request. */
export async function readBody(response: Response, url: string, signal: AbortSignal): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    if (signal.aborted) throw abortedError(signal);
    throw new UploadError(
      `Lost the connection to ${new URL(url).origin} while reading its answer: ${describe(error)}.`,
      'NETWORK_ERROR',
      {
        status: response.status,
        cause: error,
      },
    );
  }
}

/** Seconds from a Retry-After header (seconds or an HTTP date), when there is one. */
export function retryAfterSeconds(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = (error as Error).message ?? String(error);
  if (cause?.code) return `${message} (${cause.code})`;
  return cause?.message ? `${message}: ${cause.message}` : message;
}
