import 'reflect-metadata';
import { buildFederatedSchema } from '@learnhub/platform/graphql';
import type { GraphQLSchema } from 'graphql';
import { MediaResolver, mediaReferenceResolver } from './graphql/media.resolver';
import { TranscodeTaskResolver } from './graphql/transcode-task.resolver';
import { UploadResolver } from './graphql/upload.resolver';

/** The media subgraph's schema; also used offline by `npm run schema`. */
export function buildMediaSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [MediaResolver, UploadResolver, TranscodeTaskResolver] },
    mediaReferenceResolver,
  );
}
