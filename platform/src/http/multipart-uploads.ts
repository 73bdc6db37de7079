import type { Writable } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { processRequest, Upload, type FileUpload } from 'graphql-upload-minimal';
import type { Config } from '../config';
import { badInput, ErrorCode, isAppError } from '../errors';
import { cleanFileName } from './upload-file-name';

export const MALFORMED_MULTIPART = 'MALFORMED_MULTIPART';

/**
 * A multipart request refused with an HTTP status and a message for the client (the shape
 * express's body parsers and graphql-upload-minimal use: `status` and `expose`).
 */
export class MultipartRequestError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'MultipartRequestError';
  }
}

const malformedMessage = (cause: string) =>
  `The multipart request is malformed (${cause}): send a GraphQL multipart request ` +
  '(https://github.com/jaydenseric/graphql-multipart-request-spec) with well-formed part headers and the closing boundary.';

/**
 * Makes a parser error (busboy's, a plain Error) a 400 in place: graphql-upload-minimal rejects
 * the request and every upload still pending with this very object.
 */
function markMalformed(error: Error): void {
  if ('status' in error) return;
  Object.assign(error, {
    status: 400,
    expose: true,
    reason: MALFORMED_MULTIPART,
    message: malformedMessage(error.message),
  });
}

type Body = Awaited<ReturnType<typeof processRequest>>;

/**
 * graphql-upload-minimal's processRequest, with its parser watched. busboy reports a broken part
 * header with an `error` event but keeps going; when graphql-upload-minimal then destroys it,
 * busboy reports "Unexpected end of form" as a second `error`, and graphql-upload-minimal
 * listens with `once`: the second error was unhandled and took the process down. Here the
 * parser has an error listener for its whole life, its errors become 400 MALFORMED_MULTIPART,
 * and a request with no files waits for the end of its body, so a broken part after `map` is
 * refused rather than ignored.
 */
async function parseMultipart(req: Request, res: Response, limits: Config['limits']): Promise<Body> {
  let parser: Writable | undefined;
  let parserError: Error | undefined;
  let drain: ReturnType<typeof unreadFileDrain> | undefined;
  // processRequest pipes the request into the busboy parser it creates: that is where to reach it.
  req.pipe = function watchedPipe<T extends NodeJS.WritableStream>(
    this: Request,
    destination: T,
    options?: { end?: boolean },
  ): T {
    Reflect.deleteProperty(req, 'pipe');
    parser = destination as unknown as Writable;
    parser.prependListener('error', (error: Error) => {
      parserError ??= error;
      markMalformed(error);
    });
    drain = unreadFileDrain(parser);
    return req.pipe(destination, options);
  };
  let body: Body;
  try {
    body = await processRequest(req, res, { maxFileSize: limits.uploadMaxBytes, maxFiles: limits.uploadMaxFiles });
  } catch (error) {
    throw refusal(error);
  } finally {
    Reflect.deleteProperty(req, 'pipe');
  }
  if (parserError) throw refusal(parserError);
  let uploads: Upload[];
  try {
    uploads = uploadsIn(body);
  } catch (error) {
    // Operations nested deeper than the stack: hostile, never a real request.
    throw refusal(error);
  }
  drain?.placed(uploads);
  if (parser && !uploads.length && !parser.writableFinished && !parser.destroyed) {
    await new Promise<void>((resolve) => parser!.once('close', resolve));
  }
  if (parserError) throw refusal(parserError);
  cleanUploadNames(uploads);
  return body;
}

/**
 * Reads and drops every file no Upload in the operations will hand out: one that `map` places
 * nowhere (`{"0": []}`) or at a path a later entry overwrites, or a second file under one field.
 * busboy waits for each file to be read before going on, so one such file stalled the request
 * for good. Files that arrive before the operations are known wait for `placed`.
 */
function unreadFileDrain(parser: Writable): { placed(uploads: Upload[]): void } {
  let uploads: Upload[] | undefined;
  const waiting: [string, NodeJS.ReadableStream][] = [];
  const handedOut = new Set<string>();
  const drainUnlessHandedOut = (field: string, stream: NodeJS.ReadableStream) => {
    // graphql-upload-minimal has already given the file to its field's Upload (if the field has one).
    if (!handedOut.has(field) && uploads!.some((upload) => upload.file?.fieldName === field)) {
      handedOut.add(field);
      return;
    }
    stream.on('error', () => undefined);
    stream.resume();
  };
  parser.on('file', (field: string, stream: NodeJS.ReadableStream) => {
    if (uploads) drainUnlessHandedOut(field, stream);
    else waiting.push([field, stream]);
  });
  return {
    placed(found) {
      uploads = found;
      for (const [field, stream] of waiting.splice(0)) drainUnlessHandedOut(field, stream);
    },
  };
}

/** What the client is told: a status error as it is, any other failure of the parser as malformed. */
function refusal(error: unknown): MultipartRequestError {
  if (error instanceof MultipartRequestError) return error;
  const { status, message, reason } = (error ?? {}) as { status?: unknown; message?: unknown; reason?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  if (status === 413) return new MultipartRequestError(413, text);
  if (typeof reason === 'string') return new MultipartRequestError(400, text, reason);
  // Anything else from parsing the client's body is the body's fault: graphql-upload-minimal's 500
  // means no `operations` field at all, its 499 a client gone mid-request, a plain Error a missing boundary.
  if (status === 500)
    return new MultipartRequestError(400, malformedMessage("no 'operations' field"), MALFORMED_MULTIPART);
  if (typeof status === 'number' && status < 500 && status !== 499)
    return new MultipartRequestError(400, text, MALFORMED_MULTIPART);
  return new MultipartRequestError(400, malformedMessage(text), MALFORMED_MULTIPART);
}

/** Every Upload in the parsed operations (one per file in `map`). */
function uploadsIn(value: unknown, found: Upload[] = []): Upload[] {
  if (value instanceof Upload) found.push(value);
  else if (Array.isArray(value)) for (const item of value) uploadsIn(item, found);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) uploadsIn(item, found);
  return found;
}

/**
 * Each upload resolves to its file under a clean name, or is refused (BAD_USER_INPUT naming the
 * file) when no usable name is left; a refused file's bytes are read and dropped so the rest of
 * the request still arrives.
 */
function cleanUploadNames(uploads: Upload[]): void {
  for (const upload of uploads) {
    upload.promise = upload.promise.then((file): FileUpload => {
      try {
        return { ...file, filename: cleanFileName(file.filename) };
      } catch (error) {
        const stream = file.createReadStream();
        stream.on('error', () => undefined);
        stream.resume();
        // busboy has already reduced a bare "." or ".." to nothing, so the part's field names the file too.
        throw isAppError(error) ? badInput(`File "${file.fieldName}": ${error.message}`, error.details) : error;
      }
    });
    // Settled by whoever reads it; an upload nobody reads must not reject unhandled.
    upload.promise.catch(() => undefined);
  }
}

/**
 * Once the response is out, discards what is left of a multipart body. When the gateway answers
 * without reading every file (a bad token, a validation error, CSRF), nothing else would read
 * the rest and the client's connection would stay stuck mid-upload.
 */
function discardUnreadBody(req: Request, res: Response): void {
  res.once('finish', () => {
    if (req.readableEnded) return;
    req.unpipe();
    req.resume();
  });
}

/**
 * GraphQL multipart requests (uploads): files become `Upload` values resolvers (or the gateway)
 * stream on, under clean file names. A malformed request is answered here, 400 (413 for too
 * many or too large files) with a GraphQL error body, and never reaches the operation.
 */
export function multipartUploads(limits: Config['limits']) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is('multipart/form-data')) return next();
    discardUnreadBody(req, res);
    parseMultipart(req, res, limits).then(
      (body) => {
        req.body = body;
        next();
      },
      (error: MultipartRequestError) => {
        if (res.headersSent) return;
        const code = error.status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT;
        res.status(error.status).json({
          errors: [{ message: error.message, extensions: { code, ...(error.reason && { reason: error.reason }) } }],
        });
      },
    );
  };
}
