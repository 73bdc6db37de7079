import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import { AppError, ErrorCode } from '@learnhub/platform/errors';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { cents, parseCourseDocument } from './course-document';

const valid: CourseDocument = {
  id: 'course_42-a',
  version: 3,
  name: 'Spring微服务架构实战',
  organisationId: 'org-1',
  organisationName: '云帆教育',
  mt: '1-3',
  mtName: '编程开发',
  st: '1-3-1',
  stName: 'Java',
  grade: CourseGrade.INTERMEDIATE,
  teachingMode: TeachingMode.RECORDED,
  tags: ['微服务', 'Spring Cloud'],
  audience: '后端开发者',
  description: '从零搭建一个微服务系统。',
  coverUrl: 'https://cdn.example.com/covers/42.jpg',
  charge: Charge.PAID,
  price: '199.00',
  originalPrice: '299.00',
  validDays: 365,
  publishedAt: '2025-01-12T06:26:58.000Z',
};

/** The AppError a document is refused with; fails the test when it is accepted. */
function refusal(value: unknown, where?: string): AppError {
  try {
    parseCourseDocument(value, where);
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

const refusedFields = (overrides: Record<string, unknown>) =>
  (refusal({ ...valid, ...overrides }).details.fields ?? []).map((problem) => problem.field);

describe('parseCourseDocument', () => {
  test('a valid document passes unchanged', () => {
    assert.deepEqual(parseCourseDocument(structuredClone(valid)), valid);
  });

  test('publishedAt with an offset is normalised to ISO at UTC', () => {
    assert.equal(
      parseCourseDocument({ ...valid, publishedAt: '2025-01-12T14:26:58+08:00' }).publishedAt,
      '2025-01-12T06:26:58.000Z',
    );
  });

  test('optional fields may be absent or null', () => {
    const {
      coverUrl: _c,
      originalPrice: _o,
      validDays: _v,
      tags: _t,
      audience: _a,
      description: _d,
      ...required
    } = valid;
    assert.deepEqual(parseCourseDocument(required), {
      ...valid,
      coverUrl: null,
      originalPrice: null,
      validDays: null,
      tags: [],
      audience: '',
      description: '',
    });
    assert.equal(parseCourseDocument({ ...valid, validDays: null }).validDays, null);
  });

  const rules: [string, Record<string, unknown>, string][] = [
    ['an id with a space', { id: 'course 42' }, 'document.id'],
    ['an id of 65 characters', { id: 'a'.repeat(65) }, 'document.id'],
    ['a number for id', { id: 42 }, 'document.id'],
    ['version 0', { version: 0 }, 'document.version'],
    ['version 1.5', { version: 1.5 }, 'document.version'],
    ['version as a string', { version: '3' }, 'document.version'],
    ['a price without cents', { price: '199' }, 'document.price'],
    ['a price with three places', { price: '19.990' }, 'document.price'],
    ['a price as a number', { price: 199 }, 'document.price'],
    ['no price', { price: undefined }, 'document.price'],
    ['a bad originalPrice', { originalPrice: '-1.00' }, 'document.originalPrice'],
    ['a free course with a price', { charge: Charge.FREE, price: '9.90' }, 'document.price'],
    ['an st under another mt', { st: '1-4-1' }, 'document.st'],
    ['an st under a longer mt of the same start', { st: '1-30-1' }, 'document.st'],
    ['an st that is no category id', { st: '1-3-x' }, 'document.st'],
    ['an unknown grade', { grade: 'EXPERT' }, 'document.grade'],
    ['a lowercase teachingMode', { teachingMode: 'live' }, 'document.teachingMode'],
    ['no charge', { charge: undefined }, 'document.charge'],
    ['a coverUrl that is no http(s) URL', { coverUrl: 'javascript:alert(1)' }, 'document.coverUrl'],
    ['a relative coverUrl', { coverUrl: '/covers/42.jpg' }, 'document.coverUrl'],
    ['tags that are not a list', { tags: 'java' }, 'document.tags'],
    ['33 tags', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 'document.tags'],
    ['a tag of 65 characters', { tags: ['x'.repeat(65)] }, 'document.tags'],
    ['a tag that is no string', { tags: ['java', 3] }, 'document.tags'],
    ['validDays 0', { validDays: 0 }, 'document.validDays'],
    ['validDays 1.5', { validDays: 1.5 }, 'document.validDays'],
    ['no name', { name: undefined }, 'document.name'],
    ['a name of 201 characters', { name: '名'.repeat(201) }, 'document.name'],
    ['a name that is no string', { name: ['Java'] }, 'document.name'],
    ['a publishedAt that is no date', { publishedAt: 'yesterday-ish' }, 'document.publishedAt'],
  ];
  for (const [what, overrides, field] of rules) {
    test(`refuses ${what}, naming ${field}`, () => {
      assert.deepEqual(refusedFields(overrides), [field]);
    });
  }

  test('refuses an mt that is no category id, and then the st is not under it either', () => {
    assert.deepEqual(refusedFields({ mt: 'java' }), ['document.mt', 'document.st']);
  });

  test('the edges of the limits pass: 32 tags of 64 characters, a 64-character id, validDays 1', () => {
    const tags = Array.from({ length: 32 }, (_, i) => String(i).padStart(64, 'x'));
    const document = { ...valid, id: 'a'.repeat(64), tags, validDays: 1 };
    assert.deepEqual(parseCourseDocument(document), document);
  });

  // `text` tests for '' before trimming, so whitespace passes as present and is then trimmed to ''.
  test('a required field of only spaces is refused as missing', () => {
    assert.deepEqual(refusedFields({ name: '   ' }), ['document.name']);
    assert.deepEqual(refusedFields({ publishedAt: '   ' }), ['document.publishedAt']);
  });

  // Date.parse takes V8's legacy formats too, read in the process's local time zone.
  test('a publishedAt that is no ISO 8601 date-time is refused', () => {
    assert.deepEqual(refusedFields({ publishedAt: '1' }), ['document.publishedAt']);
    assert.deepEqual(refusedFields({ publishedAt: '12/25/2024' }), ['document.publishedAt']);
  });

  test('every problem is listed in one BAD_USER_INPUT error', () => {
    const error = refusal({
      ...valid,
      id: '',
      version: 0,
      price: 'free',
      grade: 'EXPERT',
      coverUrl: 'ftp://x',
      validDays: -1,
    });
    assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
    const fields = [
      'document.id',
      'document.version',
      'document.validDays',
      'document.coverUrl',
      'document.grade',
      'document.price',
    ];
    assert.deepEqual(error.details.fields?.map((problem) => problem.field).sort(), [...fields].sort());
    for (const field of fields) assert.ok(error.message.includes(field), `${field} missing from: ${error.message}`);
  });

  test('something that is no object is refused for every required field', () => {
    const fields = refusal(null).details.fields?.map((problem) => problem.field) ?? [];
    for (const field of [
      'id',
      'version',
      'name',
      'organisationId',
      'organisationName',
      'mt',
      'mtName',
      'st',
      'stName',
      'grade',
      'teachingMode',
      'charge',
      'price',
      'publishedAt',
    ]) {
      assert.ok(fields.includes(`document.${field}`), `document.${field} missing from ${fields.join(', ')}`);
    }
  });

  test('fields are named under the `where` given', () => {
    const error = refusal({ ...valid, name: '' }, 'documents[3]');
    assert.deepEqual(error.details.fields, [{ field: 'documents[3].name', message: 'is required' }]);
    assert.match(error.message, /documents\[3\]\.name is required/);
  });

  test('text fields and tags are trimmed, and blank tags dropped', () => {
    const document = parseCourseDocument({ ...valid, name: '  Java入门 ', tags: [' 微服务 ', '   ', 'Go'] });
    assert.equal(document.name, 'Java入门');
    assert.deepEqual(document.tags, ['微服务', 'Go']);
  });
});

describe('cents', () => {
  test('is the whole cents of a money string', () => {
    assert.equal(cents('12.34'), 1234);
    assert.equal(cents('0.05'), 5);
    assert.equal(cents('0.00'), 0);
    assert.equal(cents('9999999999.99'), 999_999_999_999);
  });
});
