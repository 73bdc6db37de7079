// What other workspaces may use to talk to media: the media directory other services ask. (Uploads: @learnhub/upload-client.)
export {
  HttpMediaDirectory,
  type Caller,
  type CourseMediaPublication,
  type MediaDescription,
  type MediaDirectory,
  type MediaSummary,
  type MediaType,
} from './media-directory';
