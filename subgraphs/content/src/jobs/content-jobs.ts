import { awaitMigrations, databaseReadiness } from '@learnhub/platform/database';
import { redisSettingsOf } from '@learnhub/platform/redis';
import type { JobHost, JobModule } from '@learnhub/platform/tasks';
import { processorLeaseOf } from '@learnhub/platform/tasks';
import { TaskTable } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { CourseIndexClient } from '@learnhub/contracts/course-index';
import { openContentDatabase } from '../database/content-database';
import { outboxMessages } from '../entities/outbox-message.entity';
import { HttpMediaDirectory } from '@learnhub/media/client';
import { CacheEntryStage } from './cache-entry-stage';
import { CoursePageStage } from './course-page-stage';
import { CoursePublishProcessor } from './course-publish-processor';
import { SearchDocumentStage } from './search-document-stage';

/** Content's background work in a jobs worker: the publish outbox, whose stages bring each published course's effects up to date. */
export async function openContentJobs(host: JobHost): Promise<JobModule> {
  const { config, logger, store, cache } = host;
  const jobs = config.jobs;
  const orm = await openContentDatabase(config.content.databaseUrl, { logger, migrate: false });
  const wakeup = TaskWakeup.for(config.content.databaseUrl, redisSettingsOf(config), logger);
  const close = async () => {
    await Promise.all([orm.close(), wakeup.close()]);
  };
  try {
    await awaitMigrations(orm, 'content', jobs.schemaWaitMs, logger);
  } catch (error) {
    await close();
    throw error;
  }
  const media = new HttpMediaDirectory(config.gateway.mediaUrl, config.gatewaySecret);
  const publish = new CoursePublishProcessor(
    new TaskTable(orm.em.fork(), outboxMessages),
    // The order the stages run in; a new effect of publishing is one more stage here.
    [
      new CoursePageStage(orm.em, store, media),
      new SearchDocumentStage(new CourseIndexClient(config.gateway.searchUrl, config.gatewaySecret)),
      new CacheEntryStage(cache),
    ],
    { em: orm.em, media },
    { lease: processorLeaseOf(jobs), concurrency: jobs.publishConcurrency },
  );
  return {
    owner: 'content',
    queues: [outboxMessages],
    processors: [publish],
    scheduled: [],
    wakeup,
    readiness: [databaseReadiness(orm, 'content database')],
    close,
  };
}
