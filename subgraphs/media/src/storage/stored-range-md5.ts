import { createHash } from 'node:crypto';
import type { ObjectStore } from '@learnhub/platform/object-store';
import type { PossessionChallenge } from '../rules/possession-proof';

/** The MD5 of the challenged range of a stored object, read from the store. */
export async function md5OfStoredRange(
  store: ObjectStore,
  object: { bucket: string; key: string },
  range: PossessionChallenge,
): Promise<Buffer> {
  const hash = createHash('md5');
  for await (const chunk of await store.get(object.bucket, object.key, {
    start: range.offset,
    end: range.offset + range.length - 1,
  })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest();
}
