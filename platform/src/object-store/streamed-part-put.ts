import { S3Error } from 'minio';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exactLength, toBuffer } from './byte-streams.js';
import type { Transport } from './idle-limited-transport.js';
import type { PresignedRequest } from './object-store.js';

/** Far more than any S3 error document; the rest of a longer answer is not kept. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Sends a part's body to a presigned UploadPart while reading it, so only a few pieces of it are
 * ever held. `Content-Length` is `size`; a body of another length is cut off before S3 has it whole
 * (sizeMismatch from `exactLength`), so S3 stores nothing for it. Resolves to the ETag S3 answers.
 * An S3 error answer, even one sent before the body is through, rejects with an `S3Error` carrying
 * S3's code, as the minio client's errors do, and the rest of the body is not sent. Deadlines are
 * the transport's (see `idleLimitedTransport`).
 */
export async function putStreamedPart(
  transport: Transport,
  presigned: PresignedRequest,
  body: Readable,
  size: number,
  what: string,
): Promise<string> {
  const request = transport.request(presigned.url, {
    method: presigned.method,
    headers: { ...presigned.headers, 'Content-Length': String(size) },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.on('error', reject);
  });
  const sent = pipeline(body, exactLength(size, what), request);
  try {
    // S3's answer says what happened, even one that comes before the body is through; until it comes, a failure to send does.
    const response = await Promise.race([answered, sent.then(() => answered)]);
    const text = await readAnswer(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw answerError(status, text, what);
    const etag = response.headers.etag;
    if (!etag) throw new Error(`${what}: S3 stored the part but its answer carries no ETag.`);
    await sent;
    return etag;
  } catch (error) {
    // The rest of the body is not sent, and the source is let go before the caller hears.
    request.destroy();
    await sent.catch(() => undefined);
    throw error;
  }
}

/** The answer's body as text, up to MAX_ANSWER_BYTES. */
async function readAnswer(response: IncomingMessage): Promise<string> {
  const pieces: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer | string>) {
    const data = toBuffer(chunk);
    if (length < MAX_ANSWER_BYTES) pieces.push(data.subarray(0, MAX_ANSWER_BYTES - length));
    length += data.length;
  }
  return Buffer.concat(pieces).toString('utf8');
}

/** An S3 error document (`<Error><Code>…</Code><Message>…</Message>…`) as minio's `S3Error`, so `translate` reads it alike. */
function answerError(status: number, text: string, what: string): Error {
  const code = xmlText(text, 'Code');
  if (code === undefined) {
    return new Error(
      `${what}: the object store answered HTTP ${status} with no S3 error in it` +
        `${text ? ` (${text.slice(0, 200)})` : ''}; if this lasts, check that S3_ENDPOINT reaches S3 itself.`,
    );
  }
  const error = new S3Error(xmlText(text, 'Message') ?? `S3 answered ${code}.`);
  error.code = code;
  return error;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of the first `<tag>` element, entities decoded. */
function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match?.[1].replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]);
}
