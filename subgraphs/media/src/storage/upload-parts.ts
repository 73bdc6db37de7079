import type { Logger } from '@learnhub/platform/logger';
import type { ObjectStore } from '@learnhub/platform/object-store';
import type { UploadSession } from '../entities/upload-session.entity';

/** Frees the chunks an upload session holds in the store: aborts its multipart upload (aborting one that is gone is no error). */
export async function abortUploadParts(store: ObjectStore, session: UploadSession, log: Logger): Promise<void> {
  try {
    await store.abortMultipart(session.bucket, session.objectKey, session.multipartUploadId);
  } catch (error) {
    // Some S3 stand-ins cannot abort; the bucket's lifecycle rule for incomplete uploads reclaims the parts.
    log.warn(
      { err: error, fileMd5: session.fileMd5, state: session.state },
      'could not abort the multipart upload of an upload session',
    );
  }
}
