import type { SubgraphContext } from '@learnhub/platform/graphql';
import type { MediaService } from '../services/media.service';
import type { TranscodeTaskService } from '../services/transcode-task.service';
import type { UploadSessionService } from '../services/upload-session.service';

/** Media's services, bound to one request's EntityManager. */
export interface MediaServices {
  media: MediaService;
  uploads: UploadSessionService;
  transcodeTasks: TranscodeTaskService;
  maxPageSize: number;
}

export type MediaContext = SubgraphContext & MediaServices;
