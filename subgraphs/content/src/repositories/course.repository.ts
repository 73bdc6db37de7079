import { isRowId } from '@learnhub/platform/database';
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { containsText } from '@learnhub/platform/database';
import { lockRow } from '@learnhub/platform/database';
import type { PublishStatus } from '@learnhub/contracts/published-course';
import type { AuditStatus } from '../entities/course-dictionary';
import { CourseMarket } from '../entities/course-market.entity';
import { Course } from '../entities/course.entity';

export type CourseBaseValues = Pick<
  Course,
  'name' | 'audience' | 'tags' | 'mt' | 'st' | 'grade' | 'teachingMode' | 'description' | 'coverMediaId'
>;
export type CourseMarketValues = Omit<CourseMarket, 'course'>;

export interface CourseListFilter {
  /** Undefined lists every organisation's courses (auditors, admins). */
  organisationId?: string;
  name?: string;
  auditStatus?: AuditStatus;
  publishStatus?: PublishStatus;
}

/** The only place that knows how courses (base and market) are stored. */
export class CourseRepository {
  constructor(private readonly em: EntityManager) {}

  byId(id: string): Promise<Course | null> {
    return isRowId(id) ? this.em.findOne(Course, { id }, { populate: ['market'] }) : Promise.resolve(null);
  }

  /** The course row locked for the rest of `em`'s transaction (see `lockRow`). */
  lock(em: EntityManager, id: string): Promise<Course | null> {
    return isRowId(id) ? lockRow(em, Course, { id }) : Promise.resolve(null);
  }

  page(filter: CourseListFilter, offset: number, limit: number): Promise<[Course[], number]> {
    const where: FilterQuery<Course> = {};
    if (filter.organisationId !== undefined) where.organisationId = filter.organisationId;
    if (filter.auditStatus) where.auditStatus = filter.auditStatus;
    if (filter.publishStatus) where.publishStatus = filter.publishStatus;
    if (filter.name) Object.assign(where, containsText('name', filter.name));
    return this.em.findAndCount(Course, where, {
      populate: ['market'],
      orderBy: { changedAt: 'desc', id: 'desc' },
      offset,
      limit,
    });
  }

  /** The courses named by `ids`, with their markets, in one query. */
  byIds(ids: readonly string[]): Promise<Course[]> {
    const valid = ids.filter(isRowId);
    return valid.length > 0
      ? this.em.find(Course, { id: { $in: valid } }, { populate: ['market'] })
      : Promise.resolve([]);
  }

  /**
   * Runs `work` in one transaction with a repository bound to it. The transaction starts with
   * nothing cached, so what it locks and reads is the stored row, not this request's copy.
   */
  transaction<T>(work: (courses: CourseRepository) => Promise<T>): Promise<T> {
    return this.em.transactional((em) => work(new CourseRepository(em)), { clear: true });
  }

  /** The course and its market, locked for the rest of the transaction. */
  async lockWithMarket(id: string): Promise<Course | null> {
    const course = await this.lock(this.em, id);
    if (course) await this.em.populate(course, ['market']);
    return course;
  }

  /** A new course and its market, written by one flush and so in one transaction. */
  async create(
    owner: { organisationId: string; userId: string },
    base: CourseBaseValues,
    market: CourseMarketValues,
  ): Promise<Course> {
    const now = new Date();
    const course = this.em.create(Course, {
      ...base,
      organisationId: owner.organisationId,
      createdBy: owner.userId,
      changedBy: owner.userId,
      createdAt: now,
      changedAt: now,
    });
    course.market = this.em.create(CourseMarket, { ...market, course });
    await this.em.flush();
    return course;
  }

  /** Writes new base and market values over a loaded course, stamping who changed it and when. */
  async update(course: Course, changedBy: string, base: CourseBaseValues, market: CourseMarketValues): Promise<Course> {
    this.em.assign(course, { ...base, changedBy, changedAt: new Date() });
    if (course.market) this.em.assign(course.market, market);
    else course.market = this.em.create(CourseMarket, { ...market, course });
    await this.em.flush();
    return course;
  }

  /** Sets where the course stands in audit and publishing; these are not edits, so changedAt stays. */
  async setStatus(course: Course, status: Partial<Pick<Course, 'auditStatus' | 'publishStatus'>>): Promise<void> {
    this.em.assign(course, status);
    await this.em.flush();
  }

  /** Deletes the course; the database removes its market, plan, bindings and teachers with it. */
  async remove(course: Course): Promise<void> {
    await this.em.remove(course).flush();
  }
}
