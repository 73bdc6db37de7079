import type { SubgraphContext } from '@learnhub/platform/graphql';
import type { CourseSearchService } from '../services/course-search.service';

export interface SearchServices {
  courses: CourseSearchService;
}

export type SearchContext = SubgraphContext & SearchServices;
