import { registerEnumType } from 'type-graphql';
import { Charge, CourseGrade, courseEnumDescriptions, TeachingMode } from '@learnhub/contracts/published-course';

// Content declares these enums too, with the same descriptions: federation composes a shared
// enum from every subgraph's declaration.
registerEnumType(CourseGrade, { name: 'CourseGrade', description: courseEnumDescriptions.CourseGrade });
registerEnumType(TeachingMode, { name: 'TeachingMode', description: courseEnumDescriptions.TeachingMode });
registerEnumType(Charge, { name: 'Charge', description: courseEnumDescriptions.Charge });

export { Charge, CourseGrade, TeachingMode };
