import { createHmac, timingSafeEqual } from 'node:crypto';

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
export function challengeFor(
  key: string,
  organisationId: string,
  fileMd5: string,
  fileSize: number,
  day = new Date(),
): PossessionChallenge {
  const length = Math.min(PROOF_BYTES, fileSize);
  const span = fileSize - length + 1;
  const digest = createHmac('sha256', key)
    .update(`${organisationId}\n${fileMd5}\n${day.toISOString().slice(0, 10)}`)
    .digest();
  return { offset: Number(digest.readBigUInt64BE(0) % BigInt(span)), length };
}

/** Whether `rangeMd5` (hex) is `storedMd5`, the MD5 of the challenged range of the stored object. */
export function provesPossession(rangeMd5: string, storedMd5: Buffer): boolean {
  const given = Buffer.from(rangeMd5.toLowerCase(), 'hex');
  return given.length === storedMd5.length && timingSafeEqual(given, storedMd5);
}
