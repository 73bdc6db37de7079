import 'reflect-metadata';
import { buildFederatedSchema } from '@learnhub/platform/graphql';
import type { GraphQLSchema } from 'graphql';
import { CourseCategoryResolver } from './graphql/course-category.resolver';
import { CourseTeacherResolver, CourseTeachersField } from './graphql/course-teacher.resolver';
import { CourseMarketResolver, CourseResolver, courseReferenceResolver } from './graphql/course.resolver';
import { CourseAuditFields, CourseAuditResolver } from './graphql/course-audit.resolver';
import { CoursePreviewResolver } from './graphql/course-preview.resolver';
import { CoursePublishResolver } from './graphql/course-publish.resolver';
import { CourseSnapshotResolver } from './graphql/course-snapshot.resolver';
import { OutboxMessageResolver } from './graphql/outbox-message.resolver';
import { CourseTeachplanResolver, TeachplanResolver } from './graphql/teachplan.resolver';

/** The content subgraph's schema; also used offline by `npm run schema`. */
export function buildContentSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    {
      resolvers: [
        CourseCategoryResolver,
        CourseResolver,
        CourseMarketResolver,
        TeachplanResolver,
        CourseTeachplanResolver,
        CourseTeacherResolver,
        CourseTeachersField,
        CoursePreviewResolver,
        CourseSnapshotResolver,
        CourseAuditResolver,
        CourseAuditFields,
        CoursePublishResolver,
        OutboxMessageResolver,
      ],
    },
    courseReferenceResolver,
  );
}
