import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';

const PROOF_BYTES = 64 * 1024;

/** A byte range of a file whose MD5 proves the caller really holds the file, not just its MD5. */
export interface PossessionChallenge {
  offset: number;
  length: number;
}

/**
 * The range an organisation must hash to claim a file another organisation uploaded. Derived
 * with a server key from the organisation, the file and the day, so it needs no storage, differs
 * between organisations and changes daily, and cannot be guessed from the MD5 alone.
 */
export function challengeFor(key: string, organisationId: string, fileMd5: string, fileSize: number, day = new Date()): PossessionChallenge {
  const length = Math.min(PROOF_BYTES, fileSize);
  const span = fileSize - length + 1;
  const digest = createHmac('sha256', key).update(`${organisationId}\n${fileMd5}\n${day.toISOString().slice(0, 10)}`).digest();
  return { offset: Number(digest.readBigUInt64BE(0) % BigInt(span)), length };
}

/** Whether `rangeMd5` is the MD5 of the challenged range of the stored object. */
export async function provesPossession(
  store: ObjectStore,
  object: { bucket: string; key: string },
  challenge: PossessionChallenge,
  rangeMd5: string,
): Promise<boolean> {
  const hash = createHash('md5');
  for await (const chunk of await store.get(object.bucket, object.key, { start: challenge.offset, end: challenge.offset + challenge.length - 1 })) {
    hash.update(chunk as Buffer);
  }
  const expected = hash.digest();
  const given = Buffer.from(rangeMd5.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
