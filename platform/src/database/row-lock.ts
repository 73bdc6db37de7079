import { LockMode, type EntityManager, type EntityName, type FilterQuery } from '@mikro-orm/core';
import { databaseKindOf } from './open-database';
import { sqlChanges } from './raw-sql';

/**
 * Loads one row for update inside the current transaction, so concurrent writers to the same
 * aggregate (a course's plan, say) take turns. SQLite has no row locks: there a write that
 * touches no row takes the database's write lock first (waiting out the busy timeout like any
 * writer), because a transaction that reads first and writes later fails at once when another
 * process (a jobs worker, say) committed in between.
 */
export async function lockRow<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
): Promise<T | null> {
  if (databaseKindOf(em) !== 'sqlite') return em.findOne(entity, where, { lockMode: LockMode.PESSIMISTIC_WRITE });
  const meta = em.getMetadata().get(entity);
  const column = meta.properties[meta.primaryKeys[0]].fieldNames[0];
  await sqlChanges(em, `update ${meta.tableName} set ${column} = ${column} where 0`);
  return em.findOne(entity, where);
}
