import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { containsText } from '@learnhub/platform/database/contains-text';
import { lockRow } from '@learnhub/platform/database/row-lock';
import type { AuditStatus, PublishStatus } from '../entities/course-dictionary';
import { Course } from '../entities/course.entity';

export interface CourseListFilter {
  /** Undefined lists every organisation's courses (auditors, admins). */
  organisationId?: string;
  name?: string;
  auditStatus?: AuditStatus;
  publishStatus?: PublishStatus;
}

/** Course ids are database integers; anything else cannot name a course (and must not reach SQL). */
export const isCourseId = (id: string) => /^[1-9]\d{0,17}$/.test(id);

/** The only place that knows how courses (base and market) are stored. */
export class CourseRepository {
  constructor(private readonly em: EntityManager) {}

  byId(id: string): Promise<Course | null> {
    return isCourseId(id) ? this.em.findOne(Course, { id }, { populate: ['market'] }) : Promise.resolve(null);
  }

  /** The course row locked for the rest of `em`'s transaction (see `lockRow`). */
  lock(em: EntityManager, id: string): Promise<Course | null> {
    return isCourseId(id) ? lockRow(em, Course, { id }) : Promise.resolve(null);
  }

  page(filter: CourseListFilter, offset: number, limit: number): Promise<[Course[], number]> {
    const where: FilterQuery<Course> = {};
    if (filter.organisationId !== undefined) where.organisationId = filter.organisationId;
    if (filter.auditStatus) where.auditStatus = filter.auditStatus;
    if (filter.publishStatus) where.publishStatus = filter.publishStatus;
    if (filter.name) Object.assign(where, containsText('name', filter.name));
    return this.em.findAndCount(Course, where, { populate: ['market'], orderBy: { changedAt: 'desc', id: 'desc' }, offset, limit });
  }
}
