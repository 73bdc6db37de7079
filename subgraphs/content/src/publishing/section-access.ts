import { canReadOrganisation } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import type { CourseSnapshot, SnapshotTeachplanNode } from './course-snapshot';

/** A plan node as one viewer sees it: a locked section keeps its place and name, not its media. */
export interface ViewedTeachplanNode extends SnapshotTeachplanNode {
  locked: boolean;
  children: ViewedTeachplanNode[];
}

/** A published snapshot as one viewer sees it. */
export interface ViewedSnapshot extends CourseSnapshot {
  teachplan: ViewedTeachplanNode[];
}

/**
 * Whether the viewer may watch every section, paid ones included: the owning organisation's
 * members, auditors and admins, and whoever bought the course (their token's `courses` claim).
 */
export function mayWatchEverySection(viewer: Viewer, snapshot: CourseSnapshot): boolean {
  return (
    canReadOrganisation(viewer, snapshot.organisationId) || (viewer.entitledCourseIds?.includes(snapshot.id) ?? false)
  );
}

/** The snapshot with every section not `preview` locked (no media) unless the viewer may watch everything. */
export function snapshotFor(viewer: Viewer, snapshot: CourseSnapshot): ViewedSnapshot {
  const unlocked = mayWatchEverySection(viewer, snapshot);
  const view = (node: SnapshotTeachplanNode): ViewedTeachplanNode => {
    if (unlocked || node.grade === 1 || node.preview)
      return { ...node, locked: false, children: node.children.map(view) };
    const { mediaId: _mediaId, mediaFileName: _mediaFileName, ...rest } = node;
    return { ...rest, locked: true, children: node.children.map(view) };
  };
  return { ...snapshot, teachplan: snapshot.teachplan.map(view) };
}
