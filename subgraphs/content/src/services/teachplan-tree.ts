import type { TeachplanMedia } from '../entities/teachplan-media.entity';
import { CHAPTER_PARENT, type Teachplan } from '../entities/teachplan.entity';

/** A plan node as clients see it: a chapter with its sections, or a section with its media. */
export interface TeachplanNode {
  id: string;
  courseId: string;
  /** The course's organisation, whose library holds the bound media. */
  organisationId: string;
  /** The section's chapter; null for chapters. */
  parentId: string | null;
  grade: 1 | 2;
  name: string;
  order: number;
  description?: string;
  preview: boolean;
  startTime?: Date;
  endTime?: Date;
  durationSeconds?: number;
  mediaId?: string;
  mediaFileName?: string;
  children: TeachplanNode[];
}

const toNode = (node: Teachplan, binding: TeachplanMedia | undefined, organisationId: string): TeachplanNode => ({
  id: node.id,
  courseId: node.courseId,
  organisationId,
  parentId: node.parentId === CHAPTER_PARENT ? null : node.parentId,
  grade: node.grade,
  name: node.name,
  order: node.orderBy,
  description: node.description ?? undefined,
  preview: node.preview,
  startTime: node.startTime ?? undefined,
  endTime: node.endTime ?? undefined,
  durationSeconds: node.durationSeconds ?? undefined,
  mediaId: binding?.mediaId,
  mediaFileName: binding?.mediaFileName,
  children: [],
});

/** The chapters with their sections, from a course's nodes listed as `TeachplanRepository.ofCourse` orders them. */
export function buildPlan(nodes: Teachplan[], bindings: TeachplanMedia[], organisationId: string): TeachplanNode[] {
  const bindingOf = new Map(bindings.map((binding) => [binding.teachplanId, binding]));
  const chapters = new Map<string, TeachplanNode>();
  for (const node of nodes) {
    if (node.parentId === CHAPTER_PARENT) chapters.set(node.id, toNode(node, undefined, organisationId));
  }
  for (const node of nodes) {
    if (node.parentId !== CHAPTER_PARENT)
      chapters.get(node.parentId)?.children.push(toNode(node, bindingOf.get(node.id), organisationId));
  }
  return [...chapters.values()];
}

/** The node with `id` anywhere in the plan. */
export function findNode(plan: TeachplanNode[], id: string): TeachplanNode | undefined {
  return plan.flatMap((chapter) => [chapter, ...chapter.children]).find((node) => node.id === id);
}
