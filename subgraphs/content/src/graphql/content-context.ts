import type { SubgraphContext } from '@learnhub/platform/graphql/subgraph-context';
import type { CourseCategoryService } from '../services/course-category.service';

/** Content's services, bound to one request's EntityManager. */
export interface ContentServices {
  categories: CourseCategoryService;
}

export type ContentContext = SubgraphContext & ContentServices;
