import { randomBytes } from 'node:crypto';

/** A fresh fencing token for a lease taken by `owner`: its name, for people reading rows, and a random part. */
export function newLeaseToken(owner: string): string {
  return `${owner.slice(0, 40)}:${randomBytes(9).toString('base64url')}`;
}
