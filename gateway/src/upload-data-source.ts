import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Upload, type FileUpload } from 'graphql-upload-minimal';
import { isAppError } from '@learnhub/platform/errors';
import { multipartRequest, type MultipartFile } from '@learnhub/platform/http';
import { MALFORMED_MULTIPART } from '@learnhub/platform/http';
import { PeerSilentError, post, type PostResponse } from '@learnhub/platform/http';
import { isHttpStatusError } from '@learnhub/platform/http';
import { fileTooLarge, requestError } from './request-errors';
import { subgraphTimeout } from './subgraph-timeout';

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Which subgraph a data source calls, and what it may send and wait for. */
export interface SubgraphCall {
  /** The subgraph's name, as the supergraph knows it (for messages). */
  name: string;
  url: string;
  maxFileBytes: number;
  /** How long the subgraph may go without answering (or, for an upload, without taking a byte). */
  timeoutMs: number;
}

/** Copies `value` with null wherever an Upload was, recording each Upload once with every path it was at. */
function withoutUploads(value: unknown, path: string, found: Map<Upload, string[]>): unknown {
  if (value instanceof Upload) {
    found.set(value, [...(found.get(value) ?? []), path]);
    return null;
  }
  if (Array.isArray(value)) return value.map((item, index) => withoutUploads(item, `${path}.${index}`, found));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withoutUploads(item, `${path}.${key}`, found)]),
    );
  }
  return value;
}

/**
 * The uploads in the order the client's request delivers them. Reading them in any other order
 * could stall: the parser only reaches a file once the ones before it have been read.
 */
async function* inArrivalOrder(uploads: Upload[]): AsyncGenerator<{ field: string; file: FileUpload }> {
  const pending = new Map(
    uploads.map((upload, index) => [
      index,
      // Settled either way, so the uploads left behind after a failure never reject unhandled.
      upload.promise.then(
        (file) => ({ index, file }),
        (error: unknown) => ({ index, error }),
      ),
    ]),
  );
  while (pending.size > 0) {
    const next = await Promise.race(pending.values());
    if ('error' in next) throw next.error;
    pending.delete(next.index);
    yield { field: String(next.index), file: next.file };
  }
}

async function* contentOf(file: FileUpload, maxFileBytes: number): AsyncGenerator<Uint8Array> {
  let stream;
  try {
    stream = file.createReadStream();
  } catch (error) {
    throw isHttpStatusError(error) && error.status === 413 ? fileTooLarge(file.filename, maxFileBytes) : error;
  }
  try {
    yield* stream as AsyncIterable<Uint8Array>;
  } catch (error) {
    // The client's body broke off mid-file (truncated, malformed, disconnected): the client's fault, never ours.
    if (isHttpStatusError(error)) throw error;
    throw requestError(
      400,
      `The file "${file.filename}" ended before its closing boundary: send the whole multipart request.`,
      MALFORMED_MULTIPART,
    );
  }
  // busboy ends a file stream early, without an error, when it reaches the size limit.
  if ((stream as { truncated?: boolean }).truncated) throw fileTooLarge(file.filename, maxFileBytes);
}

/**
 * A subgraph data source that forwards file uploads. `@apollo/gateway` sends every subgraph
 * request as JSON, where an Upload would arrive as `{}`; when the variables hold uploads this
 * sends a GraphQL multipart request instead, streaming each file from the client's request
 * into the subgraph's as it arrives. Requests without uploads go through the parent unchanged.
 * An upload the subgraph neither takes a byte of nor answers for `timeoutMs` is given up.
 */
export class UploadDataSource<TContext extends Record<string, unknown>> extends RemoteGraphQLDataSource<TContext> {
  constructor(protected readonly call: SubgraphCall) {
    super({ url: call.url });
  }

  override async process(options: GraphQLDataSourceProcessOptions<TContext>): Promise<SubgraphResponse> {
    // Only operations from clients carry uploads (not the gateway's own health checks).
    if (!('incomingRequestContext' in options)) return super.process(options);
    const found = new Map<Upload, string[]>();
    const variables = withoutUploads(options.request.variables ?? {}, 'variables', found);
    if (found.size === 0) return super.process(options);

    const { request, context } = options;
    // As the parent does: the incoming headers, then whatever `willSendRequest` adds.
    request.http = { method: 'POST', url: this.url, headers: new Headers([...(request.http?.headers ?? [])]) };
    await this.willSendRequest?.(options);
    const { http } = request;

    const uploads = [...found];
    const map = Object.fromEntries(uploads.map(([, paths], index) => [String(index), paths]));
    const operations = {
      query: request.query,
      operationName: request.operationName,
      variables,
      extensions: request.extensions,
    };
    const { maxFileBytes, name, timeoutMs } = this.call;
    async function* files(): AsyncGenerator<MultipartFile> {
      for await (const { field, file } of inArrivalOrder(uploads.map(([upload]) => upload))) {
        yield { field, filename: file.filename, mimetype: file.mimetype, content: contentOf(file, maxFileBytes) };
      }
    }
    const multipart = multipartRequest(operations, map, files());
    http.headers.set('content-type', multipart.contentType);
    http.headers.set('apollo-require-preflight', 'true');

    // A failing body (file too large or missing, client gone) aborts the subgraph request; report that failure.
    let bodyFailure: unknown;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield* multipart.body;
      } catch (error) {
        bodyFailure = error;
        throw error;
      }
    }
    let answer: PostResponse;
    try {
      answer = await post(http.url, Object.fromEntries(http.headers), body(), { idleMs: timeoutMs });
    } catch (error) {
      if (error instanceof PeerSilentError) throw subgraphTimeout(name, timeoutMs);
      if (isHttpStatusError(bodyFailure))
        throw requestError(bodyFailure.status, bodyFailure.message, bodyFailure.reason);
      // A file refused for its name (multipartUploads cleans every name before anything reads it).
      if (isAppError(bodyFailure)) throw requestError(400, bodyFailure.message, bodyFailure.details.reason);
      if (bodyFailure) throw bodyFailure;
      throw new Error(`Forwarding an upload to ${http.url} failed: ${String(error)}`);
    }
    const response = new Response(answer.body, { status: answer.status, headers: answer.headers });
    if (!response.ok) throw await this.errorFromResponse(response);
    const parsed = await this.parseBody(response);
    if (typeof parsed !== 'object' || parsed === null) {
      throw new Error(`Expected a JSON response from ${http.url}, but received: ${parsed}`);
    }
    const result: SubgraphResponse = { ...parsed, http: response };
    return this.didReceiveResponse ? this.didReceiveResponse({ response: result, request, context }) : result;
  }
}
