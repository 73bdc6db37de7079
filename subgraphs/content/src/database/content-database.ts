import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '@learnhub/platform/database';
import type { Logger } from '@learnhub/platform/logger';
import { contentEntities } from '../entities/content-entities';
import { contentMigrations } from '../migrations/migrations';

/**
 * The content database with content's tables. The content service migrates it; a process that
 * only reads it or works its outbox passes `migrate: false` and waits for the service.
 */
export function openContentDatabase(
  url: string,
  options: { logger?: Logger; migrate?: boolean } = {},
): Promise<MikroORM> {
  return openDatabase({
    url,
    entities: contentEntities,
    migrations: contentMigrations,
    logger: options.logger,
    migrate: options.migrate,
  });
}
