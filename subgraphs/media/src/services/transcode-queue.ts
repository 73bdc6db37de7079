import type { EntityManager } from '@mikro-orm/core';
import { badInput } from '@learnhub/platform/errors';
import type { ObjectStore } from '@learnhub/platform/object-store';
import type { TaskWakeup } from '@learnhub/platform/tasks';
import { transcodeTasks } from '../entities/media-process.entity';
import { MediaType, type MediaObject } from '../entities/media-object.entity';
import { MediaProcessRepository } from '../repositories/media-process.repository';
import { browserPlayable, NotMediaError, type MediaProber, type ProbeResult } from '../video-tools/media-prober';

export interface TranscodeDecision {
  /** True when browsers cannot play the video as stored. */
  needed: boolean;
  /** Undefined for images and documents, which are never probed. */
  probe?: ProbeResult;
}

export type StoredObject = Pick<MediaObject, 'fileMd5' | 'type' | 'bucket' | 'objectKey'>;

const notAVideo = (problem: string) =>
  badInput(`${problem} Check that the file plays on your computer, then upload it again.`, { reason: 'NOT_A_VIDEO' });

/**
 * Decides which stored videos browsers cannot play as they are, and queues their transcoding:
 * `inspect` before the media record is written, `queue` after, so a worker never finds a task
 * whose media does not exist yet.
 */
export class TranscodeQueue {
  constructor(
    private readonly prober: MediaProber,
    private readonly store: ObjectStore,
    private readonly wakeup?: TaskWakeup,
  ) {}

  /**
   * Probes a stored video. A file that turns out not to be a video at all is refused with
   * BAD_USER_INPUT (NOT_A_VIDEO): the uploader should hear at merge time that the upload is
   * unusable, not find a task failing later. Any other failure (ffprobe missing, the store
   * unreachable) is rejected as is, for the merge to fail and be retried.
   */
  async inspect(object: StoredObject): Promise<TranscodeDecision> {
    if (object.type !== MediaType.VIDEO) return { needed: false };
    let probe: ProbeResult;
    try {
      probe = await this.prober.probe(await this.store.readSource(object.bucket, object.objectKey));
    } catch (error) {
      if (!(error instanceof NotMediaError)) throw error;
      throw notAVideo(
        `The uploaded file ${object.fileMd5} is not a video that can be played or converted: its bytes hold no readable audio or video.`,
      );
    }
    if (!probe.videoCodec)
      throw notAVideo(`The uploaded file ${object.fileMd5} holds only ${probe.audioCodec} audio and no video.`);
    return { needed: !browserPlayable(probe), probe };
  }

  /**
   * Queues one PENDING task when the decision says so, in `em`'s transaction (the one recording
   * the media); an existing task of the file is left as it is, so calling again is harmless.
   * True when the file has a task: call `wake` once the transaction has committed.
   */
  async queue(em: EntityManager, object: StoredObject, decision: TranscodeDecision): Promise<boolean> {
    if (!decision.needed) return false;
    await new MediaProcessRepository(em).enqueue(object, decision.probe);
    return true;
  }

  /** Tells idle workers a task is waiting, so it starts now rather than at their next poll. */
  async wake(): Promise<void> {
    await this.wakeup?.notify(transcodeTasks.queue);
  }
}
