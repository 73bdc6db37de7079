import { type Fetch, fetchWithDeadline, readBody, retryAfterSeconds } from './http-request.js';
import { UploadError } from './upload-error.js';

export interface GraphQLClientOptions {
  /** The GraphQL endpoint, e.g. `https://learn.example.com/graphql`. */
  endpoint: string;
  /** A bearer token; sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** How long one request may go unanswered before it counts as a network error. */
  timeoutMs: number;
  fetch?: Fetch;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; extensions?: { code?: string; reason?: string; [key: string]: unknown } }[];
}

/** A file part of a GraphQL multipart request (the spec Apollo and graphql-upload follow). */
export interface MultipartFile {
  /** Where the file goes in the variables, e.g. `variables.input.chunk` (which must hold null). */
  at: string;
  blob: Blob;
  fileName: string;
}

/** GraphQL over fetch: JSON requests and multipart requests, answering `data.<field>` or throwing an UploadError. */
export class GraphQLClient {
  private readonly fetch: Fetch;

  constructor(private readonly options: GraphQLClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  private headers(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  request<T>(query: string, variables: object, field: string, signal: AbortSignal): Promise<T> {
    return this.send<T>(
      {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      },
      field,
      signal,
    );
  }

  multipart<T>(query: string, variables: object, file: MultipartFile, field: string, signal: AbortSignal): Promise<T> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables }));
    form.append('map', JSON.stringify({ 0: [file.at] }));
    form.append('0', file.blob, file.fileName);
    // The preflight header is the server's CSRF guard for multipart requests (and makes browsers preflight them).
    return this.send<T>(
      { method: 'POST', headers: { ...this.headers(), 'apollo-require-preflight': 'true' }, body: form },
      field,
      signal,
    );
  }

  private async send<T>(init: RequestInit, field: string, signal: AbortSignal): Promise<T> {
    const { endpoint, timeoutMs } = this.options;
    const response = await fetchWithDeadline(this.fetch, endpoint, init, signal, timeoutMs);
    const text = await readBody(response, endpoint, signal);
    const retryAfter = retryAfterSeconds(response);
    let payload: GraphQLBody;
    try {
      payload = JSON.parse(text) as GraphQLBody;
    } catch (error) {
      throw new UploadError(
        `${endpoint} answered HTTP ${response.status} without a GraphQL body${response.status === 404 ? ': is this the GraphQL endpoint?' : '.'}`,
        'HTTP_ERROR',
        { status: response.status, retryAfterSeconds: retryAfter, cause: error },
      );
    }
    const [first] = payload.errors ?? [];
    if (first) {
      const extensions = first.extensions ?? {};
      const code = extensions.code ?? (response.status >= 500 ? 'HTTP_ERROR' : 'UNEXPECTED_ANSWER');
      throw new UploadError(first.message ?? `${field} failed.`, code, {
        reason: extensions.reason,
        status: response.status,
        extensions,
        retryAfterSeconds: retryAfter,
      });
    }
    const value = payload.data?.[field];
    if (!response.ok || value === undefined) {
      throw new UploadError(`${endpoint} answered HTTP ${response.status} without ${field}.`, 'HTTP_ERROR', {
        status: response.status,
        retryAfterSeconds: retryAfter,
      });
    }
    return value as T;
  }
}
