import { badInput } from '@learnhub/platform/errors';
import type { ObjectStore } from '@learnhub/platform/object-store/object-store';
import { MediaType, type MediaObject } from '../entities/media-object.entity';
import type { MediaProcessRepository } from '../repositories/media-process.repository';
import { browserPlayable, NotMediaError, type MediaProber, type ProbeResult } from './media-prober';
import { probeSourceOf } from './playability';

export interface TranscodeDecision {
  /** True when the video needs transcoding and a task for it is queued (by this call or an earlier one). */
  queued: boolean;
  /** Undefined for images and documents, which are never probed. */
  probe?: ProbeResult;
}

const notAVideo = (problem: string) =>
  badInput(`${problem} Check that the file plays on your computer, then upload it again.`, { reason: 'NOT_A_VIDEO' });

/** Queues transcoding for stored videos that browsers cannot play as they are. */
export class TranscodeQueue {
  constructor(
    private readonly processes: MediaProcessRepository,
    private readonly prober: MediaProber,
  ) {}

  /**
   * Probes a stored video and, when a browser cannot play it as is, queues one PENDING task for it;
   * an existing task of the file is left as it is, so calling again is harmless.
   *
   * A file that turns out not to be a video at all is refused with BAD_USER_INPUT (NOT_A_VIDEO)
   * and nothing is recorded: the uploader should hear at merge time that the upload is unusable,
   * not find a task failing later. Any other failure (ffprobe missing, the store unreachable) is
   * rejected as is, for the merge to fail and be retried.
   */
  async queueTranscodeIfNeeded(object: Pick<MediaObject, 'fileMd5' | 'type' | 'bucket' | 'objectKey'>, store: ObjectStore): Promise<TranscodeDecision> {
    if (object.type !== MediaType.VIDEO) return { queued: false };
    let probe: ProbeResult;
    try {
      probe = await this.prober.probe(await probeSourceOf(store, object));
    } catch (error) {
      if (!(error instanceof NotMediaError)) throw error;
      throw notAVideo(`The uploaded file ${object.fileMd5} is not a video that can be played or converted: its bytes hold no readable audio or video.`);
    }
    if (!probe.videoCodec) throw notAVideo(`The uploaded file ${object.fileMd5} holds only ${probe.audioCodec} audio and no video.`);
    if (browserPlayable(probe)) return { queued: false, probe };
    await this.processes.enqueue(object);
    return { queued: true, probe };
  }
}
