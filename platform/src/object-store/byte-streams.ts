import { Readable, Transform } from 'node:stream';
import { badInput } from '../errors.js';

export function toReadable(body: Readable | Buffer): Readable {
  return Buffer.isBuffer(body) ? Readable.from([body]) : body;
}

/** Stream chunks are Buffers unless someone set an encoding on the stream. */
export function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Regroups a stream into buffers of exactly `size` bytes; the last one may be shorter. An empty
 * stream yields one empty buffer, so a caller always gets at least one.
 */
export async function* chunksOf(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let yielded = false;
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    let data = toBuffer(chunk);
    while (pendingLength + data.length >= size) {
      const take = size - pendingLength;
      pending.push(data.subarray(0, take));
      yield Buffer.concat(pending, size);
      yielded = true;
      pending = [];
      pendingLength = 0;
      data = data.subarray(take);
    }
    if (data.length > 0) {
      pending.push(data);
      pendingLength += data.length;
    }
  }
  if (pendingLength > 0 || !yielded) yield Buffer.concat(pending, pendingLength);
}

/** Reads a whole body that the caller declared to be `size` bytes, refusing any other length. */
export async function readExactly(body: Readable | Buffer, size: number, what: string): Promise<Buffer> {
  if (Buffer.isBuffer(body)) {
    if (body.length !== size) throw sizeMismatch(what, size, body.length);
    return body;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const data = toBuffer(chunk);
    length += data.length;
    // Leaving the loop destroys the stream, so an oversized body is not read to its end.
    if (length > size) throw sizeMismatch(what, size, length, true);
    chunks.push(data);
  }
  if (length !== size) throw sizeMismatch(what, size, length);
  return Buffer.concat(chunks, length);
}

/**
 * Passes a body on one piece behind, failing with `sizeMismatch` unless it is exactly `size` bytes:
 * the last piece goes on only once the body has ended at that length, so whatever reads from here
 * never gets the whole of a body that is too long or too short.
 */
export function exactLength(size: number, what: string): Transform {
  let held: Buffer | undefined;
  let length = 0;
  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const data = toBuffer(chunk);
      length += data.length;
      if (length > size) return callback(sizeMismatch(what, size, length, true));
      const previous = held;
      held = data;
      callback(null, previous);
    },
    flush(callback) {
      if (length !== size) return callback(sizeMismatch(what, size, length));
      callback(null, held);
    },
  });
}

export function sizeMismatch(what: string, declared: number, actual: number, atLeast = false) {
  return badInput(
    `${what} was declared as ${declared} bytes but the body has ${atLeast ? 'at least ' : ''}${actual}; ` +
      "declare the body's real length.",
    { reason: 'SIZE_MISMATCH' },
  );
}

export function checksumMismatch(what: string, declared: string, actual: string) {
  return badInput(
    `${what} has MD5 ${actual}, not the ${declared} it was sent with: it was damaged on the way; send it again.`,
    {
      reason: 'PART_CHECKSUM_MISMATCH',
    },
  );
}

/** What is left of `buffers` after a write took the first `written` bytes. */
export function unwritten(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let first = 0;
  while (first < buffers.length && skip >= buffers[first].length) skip -= buffers[first++].length;
  const rest = buffers.slice(first);
  if (rest.length > 0 && skip > 0) rest[0] = rest[0].subarray(skip);
  return rest;
}
