import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Charge,
  CourseGrade,
  PublishStatus,
  TeachingMode,
  type PublishedCourseRecord,
} from '@learnhub/contracts/published-course';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { openContentDatabase } from '../database/content-database';
import { storePublishedCourse } from '../testing/stored-published-course';
import { publishedCoursePages } from './published-course-pages';

const record = (id: string, status: PublishStatus): PublishedCourseRecord => ({
  id,
  version: Number(id),
  status,
  publishedAt: '2026-02-01T00:00:00.000Z',
  content: {
    id,
    organisationId: 'org-1',
    name: `课程${id}`,
    audience: '所有人',
    tags: 'Go',
    mt: '1-3',
    mtName: '编程开发',
    st: '1-3-2',
    stName: 'Python',
    grade: CourseGrade.BEGINNER,
    teachingMode: TeachingMode.RECORDED,
    market: { charge: Charge.FREE, price: '0.00' },
  },
});

for (const factory of testDatabases('published course pages')) {
  describe(`published course pages on ${factory.kind}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await factory.create();
      const orm = await openContentDatabase(database.url);
      try {
        // Ids around a digit boundary: pages follow the numeric order of course ids, not their text.
        for (const [id, status] of [
          ['9', PublishStatus.PUBLISHED],
          ['10', PublishStatus.OFFLINE],
          ['11', PublishStatus.PUBLISHED],
          ['100', PublishStatus.PUBLISHED],
          ['12', PublishStatus.PUBLISHED],
        ] as const) {
          await storePublishedCourse(orm, record(id, status));
        }
      } finally {
        await orm.close();
      }
    });
    after(async () => {
      await database?.drop();
    });

    test('gives the courses published now in pages of the size asked, in id order, leaving offline ones out', async () => {
      const pages: string[][] = [];
      for await (const page of publishedCoursePages(database.url, 2)) pages.push(page.map((course) => course.id));
      assert.deepEqual(pages, [
        ['9', '11'],
        ['12', '100'],
      ]);
    });

    test('gives each record at its version with its whole snapshot, times as ISO 8601', async () => {
      const pages = publishedCoursePages(database.url);
      const { value: first } = await pages.next();
      await pages.return(undefined);
      const stored = record('9', PublishStatus.PUBLISHED);
      assert.deepEqual(first?.[0], {
        ...stored,
        onlineAt: undefined,
        offlineAt: undefined,
        content: { ...stored.content, teachplan: [], teachers: [], takenAt: stored.publishedAt },
      });
    });
  });
}
