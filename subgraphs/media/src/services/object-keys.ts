/** Where files live in the object store (DOMAIN.md: Buckets and keys). */
export const Buckets = { files: 'mediafiles', video: 'video' } as const;

/** Images and documents: `yyyy/MM/dd/<md5><ext>` by the UTC upload date. */
export function fileKey(md5: string, extension: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/${md5}${extension}`;
}
