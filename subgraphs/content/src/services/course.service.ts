import { canReadOrganisation, requireOrganisation, requireRole, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { conflict } from '@learnhub/platform/errors';
import type { PageRequest } from '@learnhub/platform/graphql';
import { AuditStatus } from '../entities/course-dictionary';
import type { PublishStatus } from '@learnhub/contracts/published-course';
import type { Course } from '../entities/course.entity';
import type { CourseCategoryRepository } from '../repositories/course-category.repository';
import type { CourseRepository } from '../repositories/course.repository';
import { assertCanRead, assertCanWrite } from './course-access';
import {
  validateCourse,
  type CourseFacts,
  type CourseFields,
  type ValidCourseBase,
  type ValidCourseMarket,
} from './course-input';
import type { Caller, MediaDirectory } from '@learnhub/media/client';
import { containsFilterText } from '@learnhub/platform/database';

export type CourseMarketView = ValidCourseMarket;

/** A course as callers see it: base information with its marketing information. */
export interface CourseView extends ValidCourseBase {
  id: string;
  organisationId: string;
  auditStatus: AuditStatus;
  publishStatus: PublishStatus;
  market?: CourseMarketView;
  createdAt: Date;
  changedAt: Date;
  createdBy: string;
  changedBy: string;
}

export interface CourseFilterInput {
  name?: string | null;
  auditStatus?: AuditStatus | null;
  publishStatus?: PublishStatus | null;
  /** Auditors and admins: one organisation's courses. */
  organisationId?: string | null;
}

export function courseView(course: Course): CourseView {
  const market = course.market;
  return {
    id: course.id,
    organisationId: course.organisationId,
    name: course.name,
    audience: course.audience,
    tags: course.tags ?? undefined,
    mt: course.mt,
    st: course.st,
    grade: course.grade,
    teachingMode: course.teachingMode,
    description: course.description ?? undefined,
    coverMediaId: course.coverMediaId ?? undefined,
    auditStatus: course.auditStatus,
    publishStatus: course.publishStatus,
    market: market && {
      charge: market.charge,
      price: market.price,
      originalPrice: market.originalPrice ?? undefined,
      qq: market.qq ?? undefined,
      wechat: market.wechat ?? undefined,
      phone: market.phone ?? undefined,
      validDays: market.validDays ?? undefined,
    },
    createdAt: course.createdAt,
    changedAt: course.changedAt,
    createdBy: course.createdBy,
    changedBy: course.changedBy,
  };
}

/** The stored values of a course in the shape a client sends, so an update can be merged over them. */
const storedFields = (course: Course): CourseFields => ({
  name: course.name,
  audience: course.audience,
  tags: course.tags,
  mt: course.mt,
  st: course.st,
  grade: course.grade,
  teachingMode: course.teachingMode,
  description: course.description,
  coverMediaId: course.coverMediaId,
  charge: course.market?.charge,
  price: course.market?.price,
  originalPrice: course.market?.originalPrice,
  qq: course.market?.qq,
  wechat: course.market?.wechat,
  phone: course.market?.phone,
  validDays: course.market?.validDays,
});

/** `changes` over `current`: an undefined field keeps the current value, null clears it. */
const merge = (current: CourseFields, changes: CourseFields): CourseFields => ({
  ...current,
  ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
});

const isStaff = (viewer: Viewer) => viewer.roles.includes('auditor') || viewer.roles.includes('admin');

/** Course base and marketing information: authoring by the owning organisation, reading by it and the platform's staff. */
export class CourseService {
  constructor(
    private readonly courses: CourseRepository,
    private readonly categories: CourseCategoryRepository,
    private readonly media: MediaDirectory,
  ) {}

  /** A new course of the viewer's organisation: not submitted, unpublished. */
  async create(viewer: Viewer, caller: Caller, input: CourseFields): Promise<CourseView> {
    requireSignedIn(viewer);
    requireRole(viewer, 'member');
    const organisationId = requireOrganisation(viewer);
    const cover = await this.lookUpCover(input.coverMediaId, undefined, caller);
    const valid = validateCourse(input, { organisationId, categories: await this.categoryFacts(), cover });
    return courseView(await this.courses.create({ organisationId, userId: viewer.userId }, valid.base, valid.market));
  }

  /** Changes the fields `input` names; the result must pass every rule as a whole. Allowed in every audit state. */
  async update(viewer: Viewer, caller: Caller, id: string, input: CourseFields): Promise<CourseView> {
    requireSignedIn(viewer);
    const current = await this.courses.byId(id);
    assertCanWrite(viewer, current, id);
    // Asked before the row is locked: a remote call must not hold up other writers.
    const cover = await this.lookUpCover(input.coverMediaId, current.coverMediaId, caller);
    const categories = await this.categoryFacts();
    const saved = await this.courses.transaction(async (courses) => {
      const course = await courses.lockWithMarket(id);
      assertCanWrite(viewer, course, id);
      const valid = validateCourse(merge(storedFields(course), input), {
        organisationId: course.organisationId,
        categories,
        cover,
      });
      return courses.update(course, viewer.userId, valid.base, valid.market);
    });
    return courseView(saved);
  }

  /** Deletes a course that was never submitted, with its market, plan, bindings and teachers. */
  async delete(viewer: Viewer, id: string): Promise<true> {
    await this.courses.transaction(async (courses) => {
      const course = await courses.lockWithMarket(id);
      assertCanWrite(viewer, course, id);
      if (course.auditStatus !== AuditStatus.NOT_SUBMITTED) {
        throw conflict(
          `Course ${id} cannot be deleted: it has been submitted for audit (audit status ${course.auditStatus}). Only a course that was never submitted can be deleted.`,
          { reason: 'COURSE_SUBMITTED' },
        );
      }
      await courses.remove(course);
    });
    return true;
  }

  /** One course, for its organisation, auditors and admins; NOT_FOUND for everyone else. */
  async get(viewer: Viewer, id: string): Promise<CourseView> {
    const course = await this.courses.byId(id);
    assertCanRead(viewer, course, id);
    return courseView(course);
  }

  /** Members page through their organisation's courses; auditors and admins through every organisation's. Most recently changed first. */
  async list(
    viewer: Viewer,
    filter: CourseFilterInput,
    page: PageRequest,
  ): Promise<{ items: CourseView[]; total: number }> {
    requireSignedIn(viewer);
    let organisationId = filter.organisationId ?? undefined;
    if (!isStaff(viewer)) {
      const own = requireOrganisation(viewer);
      if (organisationId !== undefined && organisationId !== own) return { items: [], total: 0 };
      organisationId = own;
    }
    const [courses, total] = await this.courses.page(
      {
        organisationId,
        name: containsFilterText('filter.name', filter.name, 100),
        auditStatus: filter.auditStatus ?? undefined,
        publishStatus: filter.publishStatus ?? undefined,
      },
      page.offset,
      page.limit,
    );
    return { items: courses.map(courseView), total };
  }

  /** Federation references, batched: only the courses the viewer may read. */
  async references(viewer: Viewer, ids: readonly string[]): Promise<Map<string, CourseView>> {
    if (viewer.userId === undefined) return new Map();
    const readable = (await this.courses.byIds(ids)).filter((course) =>
      canReadOrganisation(viewer, course.organisationId),
    );
    return new Map(readable.map((course) => [course.id, courseView(course)]));
  }

  /** Category names by id, from one read of the (small) category table. */
  async categoryNames(ids: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(ids);
    return new Map((await this.categories.all()).filter((c) => wanted.has(c.id)).map((c) => [c.id, c.name]));
  }

  private async categoryFacts(): Promise<CourseFacts['categories']> {
    return new Map((await this.categories.all()).map((c) => [c.id, c]));
  }

  /** Asks the media directory about a cover only when the input sets a new one. */
  private async lookUpCover(
    requested: string | null | undefined,
    current: string | undefined,
    caller: Caller,
  ): Promise<CourseFacts['cover']> {
    const id = requested?.trim();
    if (!id || id === current) return 'unchecked';
    return (await this.media.find(id, caller)) ?? 'missing';
  }
}
