import { canReadOrganisation, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { badInput, conflict, notFound } from '@learnhub/platform/errors';
import type { Caller, MediaDirectory } from '@learnhub/media/client';
import type { Course } from '../entities/course.entity';
import { CHAPTER_PARENT, type Teachplan } from '../entities/teachplan.entity';
import type { CourseRepository } from '../repositories/course.repository';
import type { TeachplanRepository } from '../repositories/teachplan.repository';
import { assertCanRead, assertCanWrite } from './course-access';
import { teachplanFields, type BindMediaInput, type TeachplanInput } from './teachplan-input';
import { buildPlan, findNode, type TeachplanNode } from './teachplan-tree';

export type MoveDirection = 'UP' | 'DOWN';

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * A course's teaching plan: chapters holding sections, each level kept in a dense order 1..n,
 * and the media bound to sections. Every change runs in one transaction holding the course's
 * row lock, so concurrent edits of one course take turns and never see a half-renumbered plan.
 */
export class TeachplanService {
  constructor(
    private readonly courses: CourseRepository,
    private readonly plans: TeachplanRepository,
    private readonly media: MediaDirectory,
  ) {}

  /** Chapters in order, each with its sections in order and their media. */
  async tree(viewer: Viewer, courseId: string): Promise<TeachplanNode[]> {
    const course = await this.courses.byId(courseId);
    assertCanRead(viewer, course, courseId);
    return this.planOf(this.plans, course);
  }

  /** Creates a node as the last of its siblings, or (with an id) updates its own fields. */
  save(viewer: Viewer, input: TeachplanInput): Promise<TeachplanNode> {
    return input.id == null ? this.create(viewer, input) : this.update(viewer, input.id, input);
  }

  /** Deletes a section with its media binding, or an empty chapter; the siblings after it move up. */
  delete(viewer: Viewer, id: string): Promise<boolean> {
    return this.writeNode(viewer, id, async (node, plan) => {
      if (node.grade === 1) {
        const sections = (await plan.children(node.courseId, node.id)).length;
        if (sections > 0) {
          throw conflict(
            `Chapter "${node.name}" still holds ${plural(sections, 'section')}; delete its sections before the chapter.`,
            {
              reason: 'CHAPTER_NOT_EMPTY',
              sections,
            },
          );
        }
      }
      await plan.remove(node);
      return true;
    });
  }

  /** Swaps the node with its neighbour; the first moved up or the last moved down stays put. Returns the siblings in order. */
  move(viewer: Viewer, id: string, direction: MoveDirection): Promise<TeachplanNode[]> {
    return this.writeNode(viewer, id, async (node, plan, course) => {
      const target = node.orderBy + (direction === 'UP' ? -1 : 1);
      const neighbour = (await plan.children(node.courseId, node.parentId)).find(
        (sibling) => sibling.orderBy === target,
      );
      if (neighbour) await plan.swap(node, neighbour);
      const tree = await this.planOf(plan, course);
      return node.parentId === CHAPTER_PARENT ? tree : (findNode(tree, node.parentId)?.children ?? []);
    });
  }

  /** Binds one of the course organisation's videos or documents to a section, replacing any earlier binding. */
  async bind(viewer: Viewer, caller: Caller, { teachplanId, mediaId }: BindMediaInput): Promise<TeachplanNode> {
    requireSignedIn(viewer);
    const { node, course } = await this.writable(viewer, teachplanId);
    if (node.grade !== 2) {
      throw badInput(`"${node.name}" is a chapter; media can only be bound to its sections.`, {
        fields: [{ field: 'teachplanId', message: 'must be a section' }],
      });
    }
    const media = await this.media.find(mediaId, caller);
    if (!media) {
      throw badInput(`Media ${mediaId} does not exist or is not visible to you.`, {
        fields: [{ field: 'mediaId', message: 'unknown media' }],
      });
    }
    if (media.organisationId !== course.organisationId) {
      throw badInput(
        `Media ${mediaId} belongs to another organisation; bind media from organisation ${course.organisationId}'s library.`,
        {
          fields: [{ field: 'mediaId', message: "not in this organisation's library" }],
        },
      );
    }
    if (media.type === 'IMAGE') {
      throw badInput(`Media ${mediaId} is an image; a section needs a video or a document.`, {
        fields: [{ field: 'mediaId', message: 'must be a video or a document' }],
      });
    }
    return this.underLock(teachplanId, node.courseId, async (section, plan, locked) => {
      await plan.bind({
        teachplanId: section.id,
        courseId: section.courseId,
        mediaId: media.id,
        mediaFileName: media.fileName,
        createdBy: viewer.userId,
      });
      return this.nodeIn(plan, section, locked);
    });
  }

  /** Removes a node's media binding; a node without one is returned as it is. */
  unbind(viewer: Viewer, teachplanId: string): Promise<TeachplanNode> {
    return this.writeNode(viewer, teachplanId, async (node, plan, course) => {
      await plan.unbind(node.id);
      return this.nodeIn(plan, node, course);
    });
  }

  private async create(viewer: Viewer, input: TeachplanInput): Promise<TeachplanNode> {
    assertCanWrite(viewer, await this.courses.byId(input.courseId), input.courseId);
    return this.plans.inCourseTransaction(input.courseId, async (course, plan) => {
      if (!course) throw notFound('Course', input.courseId);
      const parentId = input.parentId == null ? CHAPTER_PARENT : await this.chapterFor(plan, course, input.parentId);
      const grade = parentId === CHAPTER_PARENT ? 1 : 2;
      const fields = teachplanFields(input, { chapter: grade === 1 });
      const siblings = await plan.children(course.id, parentId);
      const id = await plan.insert({ ...fields, courseId: course.id, parentId, grade, orderBy: siblings.length + 1 });
      return this.nodeIn(plan, { id, courseId: course.id }, course);
    });
  }

  private update(viewer: Viewer, id: string, input: TeachplanInput): Promise<TeachplanNode> {
    return this.writeNode(viewer, id, async (node, plan, course) => {
      if (input.courseId !== node.courseId) {
        throw badInput(`"${node.name}" belongs to course ${node.courseId}, not ${input.courseId}.`, {
          fields: [{ field: 'courseId', message: "must be the node's own course" }],
        });
      }
      if (input.parentId !== undefined && (input.parentId ?? CHAPTER_PARENT) !== node.parentId) {
        throw badInput(
          'Moving between chapters is not supported: delete the section and create it under the other chapter.',
          {
            fields: [{ field: 'parentId', message: 'moving between chapters is not supported' }],
          },
        );
      }
      await plan.update(node.id, teachplanFields(input, { chapter: node.grade === 1, stored: node }));
      return this.nodeIn(plan, node, course);
    });
  }

  /** The chapter a new section goes under: one of this course's chapters, nothing else. */
  private async chapterFor(plan: TeachplanRepository, course: Course, parentId: string): Promise<string> {
    const parent = await plan.byId(parentId);
    if (!parent || parent.courseId !== course.id) {
      throw badInput(
        `Course ${course.id} has no chapter ${parentId}; a section goes under one of its course's chapters.`,
        {
          fields: [{ field: 'parentId', message: 'no such chapter in this course' }],
        },
      );
    }
    if (parent.grade !== 1) {
      throw badInput(`"${parent.name}" is a section; the plan has two levels, so a section goes under a chapter.`, {
        fields: [{ field: 'parentId', message: 'must be a chapter' }],
      });
    }
    return parent.id;
  }

  /**
   * The node and its course, once the viewer may change it. The read rule is assertCanRead's,
   * but a node of a course the viewer cannot see is reported by its own id, revealing no course id.
   */
  private async writable(viewer: Viewer, id: string): Promise<{ node: Teachplan; course: Course }> {
    requireSignedIn(viewer);
    const node = await this.plans.byId(id);
    const course = node && (await this.courses.byId(node.courseId));
    if (!node || !course || !canReadOrganisation(viewer, course.organisationId)) throw notFound('Teachplan', id);
    assertCanWrite(viewer, course, course.id);
    return { node, course };
  }

  /** Checks access without holding any lock, then runs `work` as `underLock` does. */
  private async writeNode<T>(
    viewer: Viewer,
    id: string,
    work: (node: Teachplan, plan: TeachplanRepository, course: Course) => Promise<T>,
  ): Promise<T> {
    const { node } = await this.writable(viewer, id);
    return this.underLock(id, node.courseId, work);
  }

  /** Runs `work` holding the course lock, on the node as stored now: it may have moved or gone while we waited. */
  private underLock<T>(
    id: string,
    courseId: string,
    work: (node: Teachplan, plan: TeachplanRepository, course: Course) => Promise<T>,
  ): Promise<T> {
    return this.plans.inCourseTransaction(courseId, async (course, plan) => {
      const node = await plan.byId(id);
      if (!course || !node) throw notFound('Teachplan', id);
      return work(node, plan, course);
    });
  }

  private async planOf(
    plan: TeachplanRepository,
    course: Pick<Course, 'id' | 'organisationId'>,
  ): Promise<TeachplanNode[]> {
    return buildPlan(await plan.ofCourse(course.id), await plan.bindingsOfCourse(course.id), course.organisationId);
  }

  private async nodeIn(
    plan: TeachplanRepository,
    node: { id: string; courseId: string },
    course: Pick<Course, 'id' | 'organisationId'>,
  ): Promise<TeachplanNode> {
    const found = findNode(await this.planOf(plan, course), node.id);
    if (!found)
      throw new Error(`Teachplan ${node.id} is missing from course ${node.courseId}'s plan just after being written.`);
    return found;
  }
}
