import { buildContentSchema } from '@learnhub/content/schema';
import { buildMediaSchema } from '@learnhub/media/schema';
import { buildSearchSchema } from '@learnhub/search/schema';
import type { GraphQLSchema } from 'graphql';

/** Every subgraph composed into the supergraph, by the name the gateway routes to. */
export const subgraphs: { name: string; url: string; build: () => Promise<GraphQLSchema> }[] = [
  { name: 'content', url: 'http://127.0.0.1:4001/graphql', build: buildContentSchema },
  { name: 'media', url: 'http://127.0.0.1:4002/graphql', build: buildMediaSchema },
  { name: 'search', url: 'http://127.0.0.1:4003/graphql', build: buildSearchSchema },
];
