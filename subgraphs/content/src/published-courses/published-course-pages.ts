import type { PublishedCourseRecord } from '@learnhub/contracts/published-course';
import { openContentDatabase } from '../database/content-database';
import { publishedCourseRecord } from '../publishing/published-course-record';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';

/**
 * Every course published now (offline ones are left out), from content's database at
 * `databaseUrl`, in pages of at most `pageSize` in id order. The database is only read: the
 * content service migrates it.
 */
export async function* publishedCoursePages(
  databaseUrl: string,
  pageSize = 500,
): AsyncGenerator<PublishedCourseRecord[]> {
  const orm = await openContentDatabase(databaseUrl, { migrate: false });
  try {
    let after = '0';
    for (;;) {
      const page = await new CoursePublishingRepository(orm.em.fork()).publishedAfter(after, pageSize);
      if (page.length === 0) return;
      yield page.map(publishedCourseRecord);
      after = page[page.length - 1].id;
    }
  } finally {
    await orm.close();
  }
}
