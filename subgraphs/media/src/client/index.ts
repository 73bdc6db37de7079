// What other workspaces may use to talk to media: the resumable upload client and the media directory other services ask.
export {
  ChunkedUploadError,
  uploadFile,
  type UploadedMedia,
  type UploadFileOptions,
  type UploadProgress,
  type UploadResult,
} from './chunked-upload-client';
export {
  HttpMediaDirectory,
  type Caller,
  type CourseMediaPublication,
  type MediaDescription,
  type MediaDirectory,
  type MediaSummary,
  type MediaType,
} from './media-directory';
