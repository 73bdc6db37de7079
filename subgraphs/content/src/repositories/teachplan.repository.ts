import { isRowId } from '@learnhub/platform/database';
import { raw, type EntityManager } from '@mikro-orm/core';
import type { Course } from '../entities/course.entity';
import { TeachplanMedia } from '../entities/teachplan-media.entity';
import { Teachplan } from '../entities/teachplan.entity';
import type { CourseRepository } from './course.repository';

/** A node's own values, as stored; null clears an optional one. */
export interface TeachplanFields {
  name: string;
  description: string | null;
  preview: boolean;
  startTime: Date | null;
  endTime: Date | null;
  durationSeconds: number | null;
}

export interface NewTeachplan extends TeachplanFields {
  courseId: string;
  parentId: string;
  grade: 1 | 2;
  orderBy: number;
}

export type NewBinding = Pick<TeachplanMedia, 'teachplanId' | 'courseId' | 'mediaId' | 'mediaFileName' | 'createdBy'>;

// Nodes never enter the identity map: every read is of the stored rows, which the set-based writes below change behind the ORM's back.
const STORED = { disableIdentityMap: true } as const;

/**
 * The only place that knows how plan nodes and their media bindings are stored. Writes are
 * single statements rather than unit-of-work flushes, because PostgreSQL and MariaDB check the
 * unique sibling-order index row by row, so renumbering must happen in an order it accepts.
 */
export class TeachplanRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly courses: CourseRepository,
  ) {}

  /**
   * Runs `work` in one transaction whose first statement locks the course row, so edits of one
   * course's plan take turns. Locking first also matters on MariaDB: its snapshot starts at the
   * first plain read, which then sees everything the previous lock holder committed.
   */
  inCourseTransaction<T>(
    courseId: string,
    work: (course: Course | null, plan: TeachplanRepository) => Promise<T>,
  ): Promise<T> {
    return this.em.transactional(
      async (em) => work(await this.courses.lock(em, courseId), new TeachplanRepository(em, this.courses)),
      {
        clear: true,
      },
    );
  }

  byId(id: string): Promise<Teachplan | null> {
    return isRowId(id) ? this.em.findOne(Teachplan, { id }, STORED) : Promise.resolve(null);
  }

  /** Every node of the course, grouped by parent (chapters first: their parent is 0), each group in order. */
  ofCourse(courseId: string): Promise<Teachplan[]> {
    return this.em.find(Teachplan, { courseId }, { ...STORED, orderBy: { parentId: 'asc', orderBy: 'asc' } });
  }

  bindingsOfCourse(courseId: string): Promise<TeachplanMedia[]> {
    return this.em.find(TeachplanMedia, { courseId }, STORED);
  }

  /** The nodes under `parentId` (CHAPTER_PARENT for the chapters), in order. */
  children(courseId: string, parentId: string): Promise<Teachplan[]> {
    return this.em.find(Teachplan, { courseId, parentId }, { ...STORED, orderBy: { orderBy: 'asc' } });
  }

  async insert(node: NewTeachplan): Promise<string> {
    const now = new Date();
    return String(await this.em.insert(Teachplan, { ...node, createdAt: now, changedAt: now }));
  }

  async update(id: string, fields: TeachplanFields): Promise<void> {
    await this.em.nativeUpdate(Teachplan, { id }, { ...fields, changedAt: new Date() });
  }

  /** Deletes the node with its binding and moves the siblings after it up one place. */
  async remove(node: Teachplan): Promise<void> {
    await this.em.nativeDelete(TeachplanMedia, { teachplanId: node.id });
    await this.em.nativeDelete(Teachplan, { id: node.id });
    const siblings = { courseId: node.courseId, parentId: node.parentId };
    // Shifting in place could collide mid-statement, so park the followers on distinct negative places first.
    await this.em.nativeUpdate(
      Teachplan,
      { ...siblings, orderBy: { $gt: node.orderBy } },
      { orderBy: raw('1 - order_by') },
    );
    await this.em.nativeUpdate(Teachplan, { ...siblings, orderBy: { $lt: 0 } }, { orderBy: raw('0 - order_by') });
  }

  /** Exchanges two siblings' places, through a negative one that no sibling holds. */
  async swap(a: Teachplan, b: Teachplan): Promise<void> {
    await this.em.nativeUpdate(Teachplan, { id: a.id }, { orderBy: -a.orderBy });
    await this.em.nativeUpdate(Teachplan, { id: b.id }, { orderBy: a.orderBy });
    await this.em.nativeUpdate(Teachplan, { id: a.id }, { orderBy: b.orderBy });
  }

  /** Makes `binding` the section's only one; the caller's course lock keeps this delete-then-insert race free. */
  async bind(binding: NewBinding): Promise<void> {
    await this.unbind(binding.teachplanId);
    await this.em.insert(TeachplanMedia, { ...binding, createdAt: new Date() });
  }

  async unbind(teachplanId: string): Promise<void> {
    await this.em.nativeDelete(TeachplanMedia, { teachplanId });
  }
}
