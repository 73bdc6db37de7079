import type { EntityManager } from '@mikro-orm/core';

/** The rows a statement returns, on `em`'s connection and inside its transaction when it has one. */
export function sqlRows(em: EntityManager, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return em.getConnection().execute(sql, params, 'all', em.getTransactionContext());
}

/** How many rows a statement changed, run as `sqlRows` runs it. */
export async function sqlChanges(em: EntityManager, sql: string, params: unknown[] = []): Promise<number> {
  const result = await em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
  return (result as { affectedRows?: number }).affectedRows ?? 0;
}
