import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '@learnhub/platform/database';
import type { Logger } from '@learnhub/platform/logger';
import { mediaEntities } from '../entities/media-entities';
import { mediaMigrations } from '../migrations/migrations';

/**
 * The media database with media's tables. The media service migrates it; a process that only
 * works media's queues passes `migrate: false` and waits for the service (see `awaitMigrations`).
 */
export function openMediaDatabase(
  url: string,
  options: { logger?: Logger; migrate?: boolean } = {},
): Promise<MikroORM> {
  return openDatabase({
    url,
    entities: mediaEntities,
    migrations: mediaMigrations,
    logger: options.logger,
    migrate: options.migrate,
  });
}
