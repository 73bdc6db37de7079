import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Charge,
  CourseGrade,
  PublishStatus,
  TeachingMode,
  type PublishedCourseRecord,
} from '@learnhub/contracts/published-course';
import { publishedCourseDocument } from '@learnhub/contracts/course-index';
import { parseCourseDocument } from './course-document';

const record = (tags: string, market: PublishedCourseRecord['content']['market']): PublishedCourseRecord => ({
  id: '42',
  version: 3,
  status: PublishStatus.PUBLISHED,
  publishedAt: '2026-03-01T08:00:00.000Z',
  content: {
    id: '42',
    organisationId: 'org-1',
    name: 'Go 并发编程',
    audience: '后端开发者',
    tags,
    mt: '1-3',
    mtName: '编程开发',
    st: '1-3-2',
    stName: 'Go',
    grade: CourseGrade.ADVANCED,
    teachingMode: TeachingMode.LIVE,
    description: '从 goroutine 到调度器',
    market,
  },
});

test('a published record becomes a document search accepts unchanged, at the record version', () => {
  const document = publishedCourseDocument(
    record('Go，并发; 调度 |  ', { charge: Charge.PAID, price: '129.00', originalPrice: '199.00', validDays: 180 }),
    'https://cdn.example.com/c.png',
  );
  assert.deepEqual(parseCourseDocument(structuredClone(document)), document);
  assert.deepEqual(
    [document.version, document.tags, document.price, document.originalPrice, document.validDays],
    [3, ['Go', '并发', '调度'], '129.00', '199.00', 180],
  );
});

test('any tags line content accepts fits a document: long tags are cut, and at most 32 are kept', () => {
  for (const tags of ['长'.repeat(200), Array.from({ length: 100 }, (_, i) => i % 10).join(',')]) {
    const document = publishedCourseDocument(record(tags, { charge: Charge.FREE, price: '0.00' }), null);
    assert.deepEqual(parseCourseDocument(structuredClone(document)), document);
    assert.ok(document.tags.length <= 32 && document.tags.every((tag) => tag.length <= 64));
  }
});
