/** A file to probe: a local path, or a URL the prober can fetch (an S3 object). */
export type ProbeSource = { path: string } | { url: string };

/** What a probe found in a media file. Codec and format names are ffprobe's (`h264`, `aac`, `mov,mp4,…`). */
export interface ProbeResult {
  formatNames: string[];
  videoCodec?: string;
  audioCodec?: string;
  durationSeconds?: number;
  width?: number;
  height?: number;
}

/** The port: reads a media file's container, codecs, duration and picture size. */
export interface MediaProber {
  /** Rejects with `NotMediaError` when the file is readable but holds no audio or video. */
  probe(source: ProbeSource): Promise<ProbeResult>;
}

/** The file was read, but it is not audio or video the prober understands. */
export class NotMediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotMediaError';
  }
}

/** ffprobe names the ISO base media family (MP4, MOV, 3GP, …) as one demuxer. */
const MP4_FAMILY = ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2'];

/**
 * Whether every mainstream browser plays the file as stored: H.264 video with AAC audio (or none)
 * in an MP4/MOV container. Anything else (AVI, MKV, MPEG-4 part 2, HEVC, MP3 audio, …) is not.
 */
export function browserPlayable(result: ProbeResult): boolean {
  const mp4Family = result.formatNames.some((name) => MP4_FAMILY.includes(name));
  return mp4Family && result.videoCodec === 'h264' && (result.audioCodec === undefined || result.audioCodec === 'aac');
}
