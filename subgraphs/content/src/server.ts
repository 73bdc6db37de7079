import 'reflect-metadata';
import { createCache } from '@learnhub/platform/cache';
import type { Config } from '@learnhub/platform/config';
import { databaseReadiness } from '@learnhub/platform/database';
import { openContentDatabase } from './database/content-database';
import { startSubgraph, type RunningSubgraph } from '@learnhub/platform/graphql';
import type { Logger } from '@learnhub/platform/logger';
import { createObjectStore } from '@learnhub/platform/object-store';
import { redisSettingsOf } from '@learnhub/platform/redis';
import { TaskWakeup } from '@learnhub/platform/tasks';
import type { ContentServices } from './graphql/content-context';
import { mountMediaUsageRoute } from './http/media-usage-route';
import { COURSE_PAGE_BUCKET, coursePageKey } from './publishing/course-page-location';
import { CourseCategoryRepository } from './repositories/course-category.repository';
import { CoursePublishingRepository } from './repositories/course-publishing.repository';
import { CourseTeacherRepository } from './repositories/course-teacher.repository';
import { CourseRepository } from './repositories/course.repository';
import { OutboxMessageRepository } from './repositories/outbox-message.repository';
import { TeachplanRepository } from './repositories/teachplan.repository';
import { buildContentSchema } from './schema';
import { CourseAuditService } from './services/course-audit.service';
import { CourseCategoryService } from './services/course-category.service';
import { CoursePreviewService } from './services/course-preview.service';
import { CoursePublishService } from './services/course-publish.service';
import { CourseTeacherService } from './services/course-teacher.service';
import { CourseService } from './services/course.service';
import { HttpMediaDirectory } from '@learnhub/media/client';
import { MediaUsageService } from './services/media-usage.service';
import { OutboxMessageService } from './services/outbox-message.service';
import { PublishedCourseService } from './services/published-course.service';
import { TeachplanService } from './services/teachplan.service';

/** Opens the content database (migrating it) and serves the content subgraph. */
export async function startContent(
  config: Config,
  logger: Logger,
  port = config.content.port,
): Promise<RunningSubgraph> {
  const orm = await openContentDatabase(config.content.databaseUrl, { logger });
  const media = new HttpMediaDirectory(config.gateway.mediaUrl, config.gatewaySecret);
  const cache = createCache(config, logger);
  const store = createObjectStore(config.objectStore, config.files);
  const wakeup = TaskWakeup.for(config.content.databaseUrl, redisSettingsOf(config), logger);
  const close = () => Promise.all([orm.close(), cache.close(), store.close(), wakeup.close()]);
  try {
    const running = await startSubgraph<ContentServices>(
      {
        name: 'content',
        config,
        logger,
        readiness: [databaseReadiness(orm), ...cache.readiness()],
        schema: await buildContentSchema(),
        routes: (app) =>
          mountMediaUsageRoute(
            app,
            () => new MediaUsageService(new CoursePublishingRepository(orm.em.fork())),
            config.gatewaySecret,
          ),
        extendContext: () => {
          const em = orm.em.fork();
          const courses = new CourseRepository(em);
          const categories = new CourseCategoryRepository(em);
          const publishing = new CoursePublishingRepository(em);
          return {
            categories: new CourseCategoryService(categories, media),
            courses: new CourseService(courses, categories, media),
            teachplans: new TeachplanService(courses, new TeachplanRepository(em, courses), media),
            teachers: new CourseTeacherService(courses, new CourseTeacherRepository(em), media),
            previews: new CoursePreviewService(courses, publishing, media),
            audits: new CourseAuditService(courses, publishing, media),
            publisher: new CoursePublishService(publishing, wakeup),
            published: new PublishedCourseService(publishing, cache, logger),
            outbox: new OutboxMessageService(new OutboxMessageRepository(em), wakeup),
            coursePageUrl: (courseId) => store.url(COURSE_PAGE_BUCKET, coursePageKey(courseId), { access: 'public' }),
            maxPageSize: config.limits.maxPageSize,
          };
        },
      },
      port,
      config.content.host,
    );
    return {
      port: running.port,
      async stop() {
        await running.stop();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
