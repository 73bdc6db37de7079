import type { CourseDocument } from '@learnhub/contracts/course-index';

/** A valid published-course document for the search index: a paid Java course of org-a, with `overrides`. */
export const courseDocument = (overrides: Partial<CourseDocument> = {}): CourseDocument => ({
  id: '1',
  version: 1,
  name: '课程',
  organisationId: 'org-a',
  organisationName: '云帆教育',
  mt: '1-3',
  mtName: '编程开发',
  st: '1-3-1',
  stName: 'Java',
  grade: 'INTERMEDIATE' as CourseDocument['grade'],
  teachingMode: 'RECORDED' as CourseDocument['teachingMode'],
  tags: ['微服务'],
  audience: '后端开发者',
  description: '从零搭建',
  coverUrl: null,
  charge: 'PAID' as CourseDocument['charge'],
  price: '199.00',
  originalPrice: null,
  validDays: 365,
  publishedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});
