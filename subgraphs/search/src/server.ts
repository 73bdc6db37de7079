import 'reflect-metadata';
import type { Config } from '@learnhub/platform/config';
import { startSubgraph, type RunningSubgraph } from '@learnhub/platform/graphql';
import type { Logger } from '@learnhub/platform/logger';
import type { SearchServices } from './graphql/search-context';
import { mountIndexRoutes } from './http/index-routes';
import { openSearchIndex, searchIndexKind } from './index/open-search-index';
import { buildSearchSchema } from './schema';
import { CourseIndexingService } from './services/course-indexing.service';
import { CourseSearchService } from './services/course-search.service';

/** Opens the index (creating it when new) and serves the search subgraph and its indexing API. */
export async function startSearch(config: Config, logger: Logger, port = config.search.port): Promise<RunningSubgraph> {
  const index = await openSearchIndex(config.search.indexUrl);
  try {
    const courses = new CourseSearchService(index, config.limits.maxPageSize);
    const running = await startSubgraph<SearchServices>(
      {
        name: 'search',
        config,
        logger,
        schema: await buildSearchSchema(),
        readiness: [{ name: 'index', check: () => index.ping() }],
        routes: (app) => mountIndexRoutes(app, new CourseIndexingService(index), config.gatewaySecret),
        extendContext: () => ({ courses }),
      },
      port,
      config.search.host,
    );
    logger.info({ index: searchIndexKind(config.search.indexUrl), courses: await index.count() }, 'search index open');
    return {
      port: running.port,
      async stop() {
        await running.stop();
        await index.close();
      },
    };
  } catch (error) {
    await index.close();
    throw error;
  }
}
