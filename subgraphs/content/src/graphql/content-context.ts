import type { SubgraphContext } from '@learnhub/platform/graphql';
import type { CourseAuditService } from '../services/course-audit.service';
import type { CourseCategoryService } from '../services/course-category.service';
import type { CoursePreviewService } from '../services/course-preview.service';
import type { CoursePublishService } from '../services/course-publish.service';
import type { CourseTeacherService } from '../services/course-teacher.service';
import type { CourseService } from '../services/course.service';
import type { OutboxMessageService } from '../services/outbox-message.service';
import type { PublishedCourseService } from '../services/published-course.service';
import type { TeachplanService } from '../services/teachplan.service';

/** Content's services, bound to one request's EntityManager. */
export interface ContentServices {
  categories: CourseCategoryService;
  courses: CourseService;
  teachplans: TeachplanService;
  teachers: CourseTeacherService;
  previews: CoursePreviewService;
  audits: CourseAuditService;
  publisher: CoursePublishService;
  published: PublishedCourseService;
  outbox: OutboxMessageService;
  /** Where a course's static page can be opened. */
  coursePageUrl(courseId: string): Promise<string>;
  maxPageSize: number;
}

export type ContentContext = SubgraphContext & ContentServices;
