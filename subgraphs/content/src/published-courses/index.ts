// What other services may read of content's published courses (search rebuilds its index from them).
export { publishedCoursePages } from './published-course-pages';
