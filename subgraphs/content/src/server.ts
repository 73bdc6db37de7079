import 'reflect-metadata';
import type { Config } from '@learnhub/platform/config';
import { databaseReadiness, openDatabase } from '@learnhub/platform/database/open-database';
import { startSubgraph, type RunningSubgraph } from '@learnhub/platform/graphql/subgraph-server';
import type { Logger } from '@learnhub/platform/logger';
import { CourseCategory } from './entities/course-category.entity';
import { CourseMarket } from './entities/course-market.entity';
import { CourseTeacher } from './entities/course-teacher.entity';
import { Course } from './entities/course.entity';
import { TeachplanMedia } from './entities/teachplan-media.entity';
import { Teachplan } from './entities/teachplan.entity';
import type { ContentServices } from './graphql/content-context';
import { contentMigrations } from './migrations/migrations';
import { CourseCategoryRepository } from './repositories/course-category.repository';
import { CourseTeacherRepository } from './repositories/course-teacher.repository';
import { CourseRepository } from './repositories/course.repository';
import { TeachplanRepository } from './repositories/teachplan.repository';
import { buildContentSchema } from './schema';
import { CourseCategoryService } from './services/course-category.service';
import { CourseTeacherService } from './services/course-teacher.service';
import { CourseService } from './services/course.service';
import { TeachplanService } from './services/teachplan.service';
import { HttpMediaDirectory } from './services/media-directory';

export const contentEntities = [CourseCategory, Course, CourseMarket, Teachplan, TeachplanMedia, CourseTeacher];

/** Opens the content database (migrating it) and serves the content subgraph. */
export async function startContent(config: Config, logger: Logger, port = config.content.port): Promise<RunningSubgraph> {
  const orm = await openDatabase({ url: config.content.databaseUrl, entities: contentEntities, migrations: contentMigrations, logger });
  const media = new HttpMediaDirectory(config.gateway.mediaUrl, config.gatewaySecret);
  try {
    const running = await startSubgraph<ContentServices>(
      {
        name: 'content',
        config,
        logger,
        readiness: [databaseReadiness(orm)],
        schema: await buildContentSchema(),
        extendContext: () => {
          const em = orm.em.fork();
          const courses = new CourseRepository(em);
          const categories = new CourseCategoryRepository(em);
          return {
            categories: new CourseCategoryService(categories, media),
            courses: new CourseService(courses, categories, media),
            teachplans: new TeachplanService(courses, new TeachplanRepository(em, courses), media),
            teachers: new CourseTeacherService(courses, new CourseTeacherRepository(em), media),
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
        await orm.close();
      },
    };
  } catch (error) {
    await orm.close();
    throw error;
  }
}
