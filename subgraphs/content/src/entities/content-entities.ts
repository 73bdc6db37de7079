import { CourseAudit } from './course-audit.entity';
import { CourseCategory } from './course-category.entity';
import { CourseMarket } from './course-market.entity';
import { CoursePublishPre } from './course-publish-pre.entity';
import { CoursePublish } from './course-publish.entity';
import { CourseTeacher } from './course-teacher.entity';
import { Course } from './course.entity';
import { OutboxMessageHistory } from './outbox-message-history.entity';
import { OutboxMessage } from './outbox-message.entity';
import { TeachplanMedia } from './teachplan-media.entity';
import { Teachplan } from './teachplan.entity';

/** Every table of the content database, for whoever opens it. */
export const contentEntities = [
  CourseCategory,
  Course,
  CourseMarket,
  Teachplan,
  TeachplanMedia,
  CourseTeacher,
  CoursePublishPre,
  CourseAudit,
  CoursePublish,
  OutboxMessage,
  OutboxMessageHistory,
];
