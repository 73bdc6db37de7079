import { randomBytes } from 'node:crypto';

/** One file part: its field name in `map`, and its bytes as they arrive. */
export interface MultipartFile {
  field: string;
  filename: string;
  mimetype: string;
  content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface MultipartRequest {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

// Header values cannot break out of their quotes or their line, nor carry a control character a
// parser would refuse: `"` and every C0 character and DEL are percent-escaped (browsers escape CR, LF and `"` alike).
const quoted = (value: string) =>
  value.replace(/[\u0000-\u001f\u007f"]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const headerValue = (value: string) => value.replace(/[\u0000-\u001f\u007f]/g, '');

/**
 * A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec):
 * `operations` with null where the files go, `map` from file field to those paths, then the
 * file parts, encoded lazily so each file streams through without being held in memory.
 */
export function multipartRequest(
  operations: object,
  map: Record<string, string[]>,
  files: AsyncIterable<MultipartFile> | Iterable<MultipartFile>,
): MultipartRequest {
  const boundary = `----learnhub-gateway-${randomBytes(16).toString('hex')}`;
  const text = (value: string) => Buffer.from(value, 'utf8');
  const field = (name: string, value: string) =>
    text(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);

  async function* body(): AsyncGenerator<Uint8Array> {
    yield field('operations', JSON.stringify(operations));
    yield field('map', JSON.stringify(map));
    for await (const file of files) {
      yield text(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.filename)}"\r\n` +
          `Content-Type: ${headerValue(file.mimetype) || 'application/octet-stream'}\r\n\r\n`,
      );
      yield* file.content;
      yield text('\r\n');
    }
    yield text(`--${boundary}--\r\n`);
  }

  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}
