import type { FieldProblem } from '@learnhub/platform/errors';
import type { MediaDescription } from '@learnhub/media/client';
import type { CourseSnapshot } from './course-snapshot';

/**
 * Every piece a course still lacks before it may be submitted for audit, each named so the
 * organisation can fix them all at once: a cover picture, a chapter holding a section,
 * marketing information, and every bound media item present and playable.
 */
export function missingPieces(course: CourseSnapshot, media: ReadonlyMap<string, MediaDescription>): FieldProblem[] {
  const missing: FieldProblem[] = [];
  if (!course.coverMediaId)
    missing.push({
      field: 'coverMediaId',
      message: 'the course has no cover picture: upload an image and set it as the cover',
    });
  else if (!media.has(course.coverMediaId))
    missing.push({
      field: 'coverMediaId',
      message: `the cover picture ${course.coverMediaId} no longer exists in the media library: choose another`,
    });
  if (!course.teachplan.some((chapter) => chapter.children.length > 0)) {
    missing.push({
      field: 'teachplan',
      message: 'the teaching plan has no chapter with a section: add a chapter and at least one section to it',
    });
  }
  if (!course.market)
    missing.push({
      field: 'market',
      message: 'the course has no marketing information (charge, price, validity): fill it in',
    });
  for (const chapter of course.teachplan) {
    for (const section of chapter.children) {
      if (!section.mediaId) continue;
      const item = media.get(section.mediaId);
      const where = `section "${section.name}" (chapter "${chapter.name}")`;
      const field = `teachplan.${section.id}.media`;
      if (!item)
        missing.push({
          field,
          message: `${where}: its media ${section.mediaFileName ?? section.mediaId} no longer exists: bind another`,
        });
      else if (!item.playable) {
        missing.push({
          field,
          message: `${where}: the video "${item.fileName}" is not yet playable (transcoding ${item.transcodeState.toLowerCase()}): wait for it or bind another`,
        });
      }
    }
  }
  return missing;
}
