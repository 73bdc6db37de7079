import type { PublishedCourseContent, PublishedCourseMarket } from '@learnhub/contracts/published-course';

/** A plan node as frozen in a snapshot: a chapter with its sections, or a section with its bound media. */
export interface SnapshotTeachplanNode {
  id: string;
  parentId: string | null;
  grade: 1 | 2;
  name: string;
  order: number;
  description?: string;
  preview: boolean;
  /** ISO 8601. */
  startTime?: string;
  endTime?: string;
  durationSeconds?: number;
  mediaId?: string;
  mediaFileName?: string;
  children: SnapshotTeachplanNode[];
}

/** The selling terms as frozen in a snapshot: the contract's, with the contact details only content shows. */
export interface SnapshotMarket extends PublishedCourseMarket {
  qq?: string;
  wechat?: string;
  phone?: string;
}

export interface SnapshotTeacher {
  id: string;
  name: string;
  position?: string;
  introduction?: string;
  photoMediaId?: string;
  /** ISO 8601. */
  createdAt: string;
}

/**
 * The whole course frozen at one moment (the pre-publish record's and the published record's
 * content): what the auditor reviews and what the public sees, unaffected by later draft edits.
 * Stored as JSON; ids of media only, since URLs (presigned, say) are resolved when shown. The
 * fields other services read of a published course are the contract's; the rest is content's own.
 */
export interface CourseSnapshot extends PublishedCourseContent {
  market?: SnapshotMarket;
  teachplan: SnapshotTeachplanNode[];
  teachers: SnapshotTeacher[];
  /** When the draft was frozen (ISO 8601). */
  takenAt: string;
}

/** Every media id a snapshot refers to: cover, bound sections and teacher photos. */
export function snapshotMediaIds(snapshot: CourseSnapshot): string[] {
  const ids = new Set<string>();
  if (snapshot.coverMediaId) ids.add(snapshot.coverMediaId);
  for (const chapter of snapshot.teachplan)
    for (const section of chapter.children) if (section.mediaId) ids.add(section.mediaId);
  for (const teacher of snapshot.teachers) if (teacher.photoMediaId) ids.add(teacher.photoMediaId);
  return [...ids];
}

/**
 * The media of a published snapshot the public may open: the cover, teacher photos and the media
 * of preview sections. Paid sections' media stay private (only entitled viewers reach them).
 */
export function snapshotPublicMediaIds(snapshot: CourseSnapshot): string[] {
  const ids = new Set<string>();
  if (snapshot.coverMediaId) ids.add(snapshot.coverMediaId);
  for (const chapter of snapshot.teachplan)
    for (const section of chapter.children) if (section.preview && section.mediaId) ids.add(section.mediaId);
  for (const teacher of snapshot.teachers) if (teacher.photoMediaId) ids.add(teacher.photoMediaId);
  return [...ids];
}
