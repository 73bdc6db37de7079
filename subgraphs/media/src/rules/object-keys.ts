/** Where files live in the object store: images and documents in `mediafiles`, videos in `video`, keyed as below. */
export const Buckets = { files: 'mediafiles', video: 'video' } as const;

/** Images and documents: `yyyy/MM/dd/<md5><ext>` by the UTC upload date. */
export function fileKey(md5: string, extension: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/${md5}${extension}`;
}

/** Videos: `<m0>/<m1>/<md5>/<md5><ext>`, m0 and m1 being the MD5's first two hex digits. */
export function videoKey(md5: string, extension: string): string {
  return `${md5[0]}/${md5[1]}/${md5}/${md5}${extension}`;
}

/**
 * A transcoded video: `<m0>/<m1>/<md5>/<md5>.mp4` beside the original, unless the original holds
 * that very key (an MP4 with codecs browsers cannot play), which must not be overwritten.
 */
export function playbackKey(md5: string, originalKey: string): string {
  const key = videoKey(md5, '.mp4');
  return key === originalKey ? videoKey(md5, '.playback.mp4') : key;
}

/** A video's still frame: `<m0>/<m1>/<md5>/<md5>.jpg`. */
export function posterKey(md5: string): string {
  return videoKey(md5, '.jpg');
}
