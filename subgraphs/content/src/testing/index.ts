// What other workspaces' tests may use of content: its database as the content service would migrate it.
export { openContentDatabase } from '../database/content-database';
