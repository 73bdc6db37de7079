import 'reflect-metadata';
import { buildFederatedSchema } from '@learnhub/platform/graphql';
import type { GraphQLSchema } from 'graphql';
import { CourseSearchResolver } from './graphql/course-search.resolver';

/** The search subgraph's schema; also used offline by `npm run schema`. */
export function buildSearchSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [CourseSearchResolver] });
}
