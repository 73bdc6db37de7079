import { readConfig } from '@learnhub/platform/config';
import { openContentDatabase } from '@learnhub/content/testing';
import { openMediaDatabase } from '@learnhub/media/testing';

/**
 * Migrates the media and content databases a jobs worker started with `env` would use, as their
 * services do when they start: a worker never migrates them and waits until they are.
 */
export async function migrateOwnedDatabases(env: NodeJS.ProcessEnv): Promise<void> {
  const config = readConfig({ ...process.env, ...env });
  for (const open of [
    () => openMediaDatabase(config.media.databaseUrl),
    () => openContentDatabase(config.content.databaseUrl),
  ]) {
    await (await open()).close();
  }
}
