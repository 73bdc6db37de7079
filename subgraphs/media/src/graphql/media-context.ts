import type { SubgraphContext } from '@learnhub/platform/graphql/subgraph-context';
import type { MediaService } from '../services/media.service';

/** Media's services, bound to one request's EntityManager. */
export interface MediaServices {
  media: MediaService;
  maxPageSize: number;
}

export type MediaContext = SubgraphContext & MediaServices;
