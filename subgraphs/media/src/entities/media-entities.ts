import { CoursePublicMedia } from './course-public-media.entity';
import { CoursePublication } from './course-publication.entity';
import { MediaFile } from './media-file.entity';
import { MediaObject } from './media-object.entity';
import { MediaProcessHistory } from './media-process-history.entity';
import { MediaProcess } from './media-process.entity';
import { UploadChunk } from './upload-chunk.entity';
import { UploadSession } from './upload-session.entity';

/** Every table of the media database, for whoever opens it. */
export const mediaEntities = [
  MediaObject,
  MediaFile,
  UploadSession,
  UploadChunk,
  MediaProcess,
  MediaProcessHistory,
  CoursePublication,
  CoursePublicMedia,
];
