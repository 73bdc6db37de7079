// What other workspaces' tests may use of media: its database as the media service would migrate it.
export { openMediaDatabase } from '../database/media-database';
