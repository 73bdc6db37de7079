import 'reflect-metadata';
import type { Config } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database/open-database';
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
import { buildContentSchema } from './schema';
import { CourseCategoryService } from './services/course-category.service';
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
        orm,
        schema: await buildContentSchema(),
        extendContext: ({ em }) => ({ categories: new CourseCategoryService(new CourseCategoryRepository(em), media) }),
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
