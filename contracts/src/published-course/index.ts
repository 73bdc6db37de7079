// What content promises of a published course to the services that read it (search).
export { Charge, CourseGrade, courseEnumDescriptions, PublishStatus, TeachingMode } from './course-enums';
export { courseTags } from './course-tags';
export {
  isPublic,
  type PublishedCourseContent,
  type PublishedCourseMarket,
  type PublishedCourseRecord,
} from './published-course-record';
export { seedCategories } from './seed-categories';
