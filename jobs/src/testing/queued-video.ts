import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { MikroORM } from '@mikro-orm/core';
import type { LocalObjectStore } from '@learnhub/platform/object-store';
import {
  MediaType,
  MediaProcessRepository,
  MediaRepository,
  type FfprobeProber,
  Buckets,
  videoKey,
  TranscodeQueue,
} from '@learnhub/media/testing';

/**
 * Stores `file` as a merged upload would and queues its transcoding the way the merge does, for
 * tests of the transcoding workers; returns its MD5. `asIs` queues it without the merge's probe:
 * a file that was readable when merged but is not by the time a worker gets to it.
 */
export async function queueVideo(
  orm: MikroORM,
  store: LocalObjectStore,
  prober: FfprobeProber,
  file: string,
  extension: string,
  asIs = false,
): Promise<string> {
  const bytes = await readFile(file);
  const fileMd5 = createHash('md5').update(bytes).digest('hex');
  const object = {
    fileMd5,
    type: MediaType.VIDEO,
    mimeType: 'video/x-msvideo',
    size: bytes.length,
    bucket: Buckets.video,
    objectKey: videoKey(fileMd5, extension),
  };
  await store.put(object.bucket, object.objectKey, bytes);
  const em = orm.em.fork();
  const entry = { organisationId: 'org-1', fileName: `clip${extension}`, createdBy: 'user-1' };
  if (asIs) {
    await new MediaRepository(em).record(object, entry, (tx) => new MediaProcessRepository(tx).enqueue(object));
    return fileMd5;
  }
  const queue = new TranscodeQueue(prober, store);
  const decision = await queue.inspect(object);
  if (!decision.needed) throw new Error(`${file} needs no transcoding, so it cannot be queued for it.`);
  await new MediaRepository(em).record(object, entry, (tx) => queue.queue(tx, object, decision));
  return fileMd5;
}
