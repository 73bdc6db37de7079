import 'reflect-metadata';
import { buildFederatedSchema } from '@learnhub/platform/graphql/federated-schema';
import type { GraphQLSchema } from 'graphql';
import { CourseCategoryResolver } from './graphql/course-category.resolver';

/** The content subgraph's schema; also used offline by `npm run schema`. */
export function buildContentSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [CourseCategoryResolver] });
}
