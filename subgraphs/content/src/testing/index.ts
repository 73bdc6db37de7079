// What other workspaces' tests may use of content: its database as the content service would migrate it, and published courses stored in it.
export { openContentDatabase } from '../database/content-database';
export { storePublishedCourse } from './stored-published-course';
