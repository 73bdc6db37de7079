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

  async setIcon(category: CourseCategory, mediaId: string | undefined): Promise<void> {
    category.iconMediaId = mediaId;
    await this.em.flush();
  }
}
