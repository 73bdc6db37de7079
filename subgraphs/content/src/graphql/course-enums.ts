import { registerEnumType } from 'type-graphql';
import { AuditStatus, Charge, CourseGrade, PublishStatus, TeachingMode } from '../entities/course-dictionary';

// Registered once here: search describes its hits with the same enums, and federation composes
// a shared enum only when every subgraph declares it identically.
registerEnumType(CourseGrade, { name: 'CourseGrade', description: 'Beginner (204001), intermediate (204002), advanced (204003).' });
registerEnumType(TeachingMode, { name: 'TeachingMode', description: 'Recorded (200002) or live (200003).' });
registerEnumType(Charge, { name: 'Charge', description: 'Free (201000) or paid (201001).' });
registerEnumType(AuditStatus, { name: 'AuditStatus', description: 'Rejected (202001), not submitted (202002), submitted (202003), approved (202004).' });
registerEnumType(PublishStatus, { name: 'PublishStatus', description: 'Unpublished (203001), published (203002), offline (203003).' });

export { AuditStatus, Charge, CourseGrade, PublishStatus, TeachingMode };
