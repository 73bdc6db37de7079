import { registerEnumType } from 'type-graphql';
import {
  Charge,
  CourseGrade,
  courseEnumDescriptions,
  PublishStatus,
  TeachingMode,
} from '@learnhub/contracts/published-course';
import { AuditStatus } from '../entities/course-dictionary';

// Search declares the published course's enums too, with the same descriptions: federation
// composes a shared enum from every subgraph's declaration.
registerEnumType(CourseGrade, { name: 'CourseGrade', description: courseEnumDescriptions.CourseGrade });
registerEnumType(TeachingMode, { name: 'TeachingMode', description: courseEnumDescriptions.TeachingMode });
registerEnumType(Charge, { name: 'Charge', description: courseEnumDescriptions.Charge });
registerEnumType(AuditStatus, {
  name: 'AuditStatus',
  description: 'Rejected (202001), not submitted (202002), submitted (202003), approved (202004).',
});
registerEnumType(PublishStatus, { name: 'PublishStatus', description: courseEnumDescriptions.PublishStatus });

export { AuditStatus, Charge, CourseGrade, PublishStatus, TeachingMode };
