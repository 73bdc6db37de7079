import type { ShardFilter } from '@learnhub/platform/tasks';

/**
 * A worker's shard among the live members of its queue: members agree on one order (their ids,
 * sorted), so each derives a distinct index, and task `id` belongs to shard `id mod total`.
 * Undefined while the worker is not (yet) among the members it read.
 */
export function shardOf(members: readonly string[], self: string): ShardFilter | undefined {
  const ordered = [...new Set(members)].sort();
  const index = ordered.indexOf(self);
  return index < 0 ? undefined : { index, total: ordered.length };
}

/** The member a task belongs to under a membership, as every member computes it. */
export function ownerOf(taskId: string | number, members: readonly string[]): string {
  const ordered = [...new Set(members)].sort();
  return ordered[Number(BigInt(taskId) % BigInt(ordered.length))];
}
