import type { SubgraphContext } from '@learnhub/platform/graphql/subgraph-context';
import type { CourseCategoryService } from '../services/course-category.service';
import type { CourseTeacherService } from '../services/course-teacher.service';
import type { CourseService } from '../services/course.service';
import type { TeachplanService } from '../services/teachplan.service';

/** Content's services, bound to one request's EntityManager. */
export interface ContentServices {
  categories: CourseCategoryService;
  courses: CourseService;
  teachplans: TeachplanService;
  teachers: CourseTeacherService;
  maxPageSize: number;
}

export type ContentContext = SubgraphContext & ContentServices;
