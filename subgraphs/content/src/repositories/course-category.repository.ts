import type { EntityManager } from '@mikro-orm/core';
import { CourseCategory } from '../entities/course-category.entity';

/** The only place that knows how categories are stored. */
export class CourseCategoryRepository {
  constructor(private readonly em: EntityManager) {}

  all(): Promise<CourseCategory[]> {
    return this.em.find(CourseCategory, {}, { orderBy: { orderBy: 'asc', id: 'asc' } });
  }

  byId(id: string): Promise<CourseCategory | null> {
    return this.em.findOne(CourseCategory, { id });
  }

  async setIcon(
    category: CourseCategory,
    icon: { mediaId: string; organisationId: string } | undefined,
  ): Promise<void> {
    category.iconMediaId = icon?.mediaId;
    category.iconOrganisationId = icon?.organisationId;
    await this.em.flush();
  }
}
