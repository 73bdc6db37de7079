import { GraphQLClient } from './graphql-client.js';
import type { Fetch } from './http-request.js';
import { type RetryPolicy, sleep, withRetries } from './retry.js';
import { UploadApi, type UploadedMedia } from './upload-api.js';
import { UploadError } from './upload-error.js';

export interface PlayableWaitOptions {
  endpoint: string;
  token?: string;
  /** Give up after this long; default 2 hours (a long video transcodes for a while). */
  timeoutMs?: number;
  /** Between two looks; default 2 s. */
  pollMs?: number;
  /** Each look at the media item, while transcoding goes on. */
  onUpdate?: (media: UploadedMedia) => void;
  signal?: AbortSignal;
  requestTimeoutMs?: number;
  fetch?: Fetch;
}

const LOOK_RETRIES: RetryPolicy = { retries: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * Follows a media item until a browser can play it (`playable`): at once for images, documents and
 * videos stored playable, after transcoding for the others. A transcoding that failed or was
 * cancelled ends the wait with TRANSCODE_FAILED, a deleted item with NOT_FOUND, the deadline with
 * TRANSCODE_TIMEOUT.
 */
export async function waitUntilPlayable(mediaId: string, options: PlayableWaitOptions): Promise<UploadedMedia> {
  const api = new UploadApi(
    new GraphQLClient({
      endpoint: options.endpoint,
      token: options.token,
      timeoutMs: options.requestTimeoutMs ?? 60_000,
      fetch: options.fetch,
    }),
  );
  const signal = options.signal ?? new AbortController().signal;
  const timeoutMs = options.timeoutMs ?? 2 * 3600_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const media = await withRetries(() => api.media(mediaId, signal), LOOK_RETRIES, signal);
    if (!media) throw new UploadError(`Media ${mediaId} is not in your library any more.`, 'NOT_FOUND');
    options.onUpdate?.(media);
    if (media.playable) return media;
    if (media.transcodeState === 'FAILED' || media.transcodeState === 'CANCELLED') {
      throw new UploadError(
        `Transcoding ${media.fileName} ${media.transcodeState === 'FAILED' ? 'failed' : 'was cancelled'}: an administrator can see why in transcodeTasks and retry it.`,
        'TRANSCODE_FAILED',
        { reason: media.transcodeState, extensions: { mediaId } },
      );
    }
    if (Date.now() >= deadline) {
      throw new UploadError(
        `${media.fileName} was still ${media.transcodeState.toLowerCase()} after ${Math.round(timeoutMs / 1000)} s; it becomes playable once the jobs workers finish transcoding it.`,
        'TRANSCODE_TIMEOUT',
        { reason: media.transcodeState, extensions: { mediaId } },
      );
    }
    await sleep(Math.min(options.pollMs ?? 2_000, Math.max(0, deadline - Date.now())), signal);
  }
}
