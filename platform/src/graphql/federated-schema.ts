import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type BuildSchemaOptions } from 'type-graphql';
import { textInputGuard } from './text-input-guard';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides"])';

/**
 * Builds a federation 2 subgraph schema from type-graphql resolvers. Entity types declare
 * `@Directive('@key(fields: "id")')`; `referenceResolvers` maps a type name to its
 * `__resolveReference`. Every resolver's text arguments pass the text-input guard first.
 */
export async function buildFederatedSchema(
  options: Omit<BuildSchemaOptions, 'skipCheck'>,
  referenceResolvers: GraphQLResolverMap<unknown> = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    ...options,
    globalMiddlewares: [textInputGuard, ...(options.globalMiddlewares ?? [])],
    skipCheck: true,
    validate: false,
  });
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolver] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = {
      ...(resolvers[typeName] as object),
      ...(resolver as object),
    } as GraphQLResolverMap<unknown>[string];
  }
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  return buildSubgraphSchema({ typeDefs, resolvers });
}
