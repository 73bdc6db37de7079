import { badInput } from '../errors.js';
import type { ByteRange, UploadedPart } from './object-store.js';

/*
 * The rules every adapter applies to names, ranges and part lists before touching storage, so a
 * key that works on one backend works on all of them (the local store keeps keys as paths).
 */

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,62}$/;
const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/** S3's limits: parts are numbered 1..10000 and every part but the last holds at least 5 MiB. */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export function assertBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket)) {
    throw badInput(
      `Bucket name "${bucket}" is invalid: use 2 to 63 lowercase letters, digits, dots or hyphens, ` +
        'starting with a letter or digit.',
      { reason: 'INVALID_BUCKET_NAME' },
    );
  }
}

/** A key is a relative path: `/`-separated, non-empty segments, no `.`/`..`, no NUL or backslash. */
export function assertObjectKey(key: string): void {
  const problem = keyProblem(key, false);
  if (problem) throw badInput(`Object key "${key}" is invalid: ${problem}`, { reason: 'INVALID_OBJECT_KEY' });
}

/** A prefix follows the key rules, except that it may be empty and end in `/` or mid-segment. */
export function assertKeyPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = keyProblem(prefix, true);
  if (problem) throw badInput(`Key prefix "${prefix}" is invalid: ${problem}`, { reason: 'INVALID_OBJECT_KEY' });
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (key === '') return 'it is empty.';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes.`;
  if (key.includes('\0') || key.includes('\\')) return 'it contains a NUL character or a backslash.';
  if (key.startsWith('/')) return 'it starts with "/"; keys are relative paths.';
  const segments = key.split('/');
  // A prefix like "photos/" ends with an empty segment; that one names no file, so it is fine.
  if (isPrefix && segments.at(-1) === '') segments.pop();
  for (const segment of segments) {
    if (segment === '') return 'it contains an empty path segment ("//" or a trailing "/").';
    if (segment === '.' || segment === '..') return 'it contains a "." or ".." path segment.';
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes.`;
    }
  }
  return undefined;
}

/** S3's listing order: keys compared as UTF-8 bytes (which differs from UTF-16 `<` above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function assertByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw badInput(
      `Byte range {start: ${start}, end: ${end}} is invalid: ` +
        'start must be a whole number >= 0 and end, when given, >= start.',
      { reason: 'INVALID_RANGE' },
    );
  }
}

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw badInput(`Part number ${partNumber} is invalid: use a whole number from 1 to ${MAX_PARTS}.`, {
      reason: 'INVALID_PART_NUMBER',
    });
  }
}

/** ETags travel quoted in HTTP headers; the port always carries them bare and lower-case. */
export function bareEtag(etag: string): string {
  return etag.replace(/"/g, '').toLowerCase();
}

/** Checks a completion list and returns it in part-number order with bare ETags. */
export function orderedParts(parts: UploadedPart[]): UploadedPart[] {
  if (parts.length === 0) {
    throw badInput('List at least one uploaded part to complete a multipart upload.', { reason: 'INVALID_PARTS' });
  }
  const seen = new Set<number>();
  for (const { partNumber } of parts) {
    assertPartNumber(partNumber);
    if (seen.has(partNumber)) {
      throw badInput(`Part ${partNumber} is listed twice; list each uploaded part once.`, { reason: 'INVALID_PARTS' });
    }
    seen.add(partNumber);
  }
  return parts
    .map((part) => ({ partNumber: part.partNumber, etag: bareEtag(part.etag) }))
    .sort((a, b) => a.partNumber - b.partNumber);
}
