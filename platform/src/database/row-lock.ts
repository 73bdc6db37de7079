import { LockMode, type EntityManager, type EntityName, type FilterQuery } from '@mikro-orm/core';
import { databaseKindOf } from './open-database';

/**
 * Loads one row for update inside the current transaction, so concurrent writers to the same
 * aggregate (a course's plan, say) take turns. SQLite has no row locks and needs none: it runs
 * one write transaction at a time, and asking knex for one there only prints a warning.
 */
export function lockRow<T extends object>(em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>): Promise<T | null> {
  return em.findOne(entity, where, databaseKindOf(em) === 'sqlite' ? {} : { lockMode: LockMode.PESSIMISTIC_WRITE });
}
