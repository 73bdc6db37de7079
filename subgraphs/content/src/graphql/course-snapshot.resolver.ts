import { FieldResolver, Resolver, Root } from 'type-graphql';
import type { CourseSnapshot, SnapshotTeachplanNode } from '../publishing/course-snapshot';
import { mediaReference, MediaReference } from './media.reference';
import { CourseSnapshotType } from './publishing.types';
import type { TeachplanType } from './teachplan.type';

const date = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

const planNode = (snapshot: CourseSnapshot, node: SnapshotTeachplanNode): TeachplanType => ({
  ...node,
  courseId: snapshot.id,
  organisationId: snapshot.organisationId,
  startTime: date(node.startTime),
  endTime: date(node.endTime),
  children: node.children.map((child) => planNode(snapshot, child)),
});

/** A stored snapshot in its GraphQL shape: the same plan and teacher types as the live course. */
export function snapshotType(snapshot: CourseSnapshot): CourseSnapshotType {
  return {
    ...snapshot,
    teachplan: snapshot.teachplan.map((node) => planNode(snapshot, node)),
    teachers: snapshot.teachers.map((teacher) => ({
      ...teacher,
      courseId: snapshot.id,
      organisationId: snapshot.organisationId,
      createdAt: new Date(teacher.createdAt),
    })),
  };
}

@Resolver(() => CourseSnapshotType)
export class CourseSnapshotResolver {
  @FieldResolver(() => MediaReference, { nullable: true, description: 'The cover picture.' })
  cover(@Root() snapshot: CourseSnapshotType): MediaReference | null {
    return mediaReference(snapshot.coverMediaId, snapshot.organisationId);
  }
}
