import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppError, ErrorCode } from '@learnhub/platform/errors';
import { generateCourseDocuments } from '../fixture/course-fixture';
import { CourseSearchSort, type CourseSearchQuery } from '../index/search-index';
import { SqliteSearchIndex } from '../index/sqlite-search-index';
import { CourseSearchService, MAX_KEYWORD_LENGTH, type CourseSearchRequest } from './course-search.service';

const MAX_PAGE_SIZE = 50;
const documents = generateCourseDocuments(45);

/** What the service asked the index, to see the defaults it filled in. */
let asked: CourseSearchQuery[] = [];

class RecordingIndex extends SqliteSearchIndex {
  override search(query: CourseSearchQuery) {
    asked.push(query);
    return super.search(query);
  }
}

let dir: string;
let index: RecordingIndex;
let service: CourseSearchService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lh-search-service-'));
  index = new RecordingIndex(join(dir, 'search.sqlite'));
  await index.replaceAll(documents);
  service = new CourseSearchService(index, MAX_PAGE_SIZE);
});

after(async () => {
  await index?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The fields a refused search names; fails the test when the search is accepted. */
async function refusedFields(request: CourseSearchRequest, page?: { page: number; size: number }): Promise<string[]> {
  try {
    await service.search(request, page);
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
    return (error.details.fields ?? []).map((problem) => problem.field);
  }
  assert.fail(`accepted ${JSON.stringify({ request, page })}`);
}

describe('CourseSearchService', () => {
  test('defaults to page 1 of 20 by relevance, every filter absent', async () => {
    asked = [];
    const found = await service.search();
    assert.deepEqual(asked, [
      {
        keyword: undefined,
        mt: undefined,
        st: undefined,
        grade: undefined,
        charge: undefined,
        sort: CourseSearchSort.RELEVANCE,
        offset: 0,
        limit: 20,
      },
    ]);
    assert.equal(found.page, 1);
    assert.equal(found.size, 20);
    assert.equal(found.total, documents.length);
    assert.equal(found.hits.length, 20);
  });

  test('nulls, as GraphQL sends them, are taken as absent', async () => {
    asked = [];
    const withNulls = await service.search({
      keyword: null,
      mt: null,
      st: null,
      grade: null,
      charge: null,
      sort: null,
    });
    const without = await service.search({});
    assert.deepEqual(asked[0], asked[1]);
    assert.deepEqual(withNulls, without);
  });

  test('the request is passed on as asked, the page turned into offset and limit', async () => {
    asked = [];
    const { st, mt } = documents[0];
    await service.search({ keyword: 'Java', mt, st, sort: CourseSearchSort.PRICE_ASC }, { page: 3, size: 7 });
    assert.deepEqual(asked, [
      {
        keyword: 'Java',
        mt,
        st,
        grade: undefined,
        charge: undefined,
        sort: CourseSearchSort.PRICE_ASC,
        offset: 14,
        limit: 7,
      },
    ]);
  });

  test('hasNext says whether pages follow', async () => {
    const size = 20;
    const pages = await Promise.all([1, 2, 3].map((page) => service.search({}, { page, size })));
    assert.deepEqual(
      pages.map((found) => [found.page, found.hits.length, found.hasNext]),
      [
        [1, 20, true],
        [2, 20, true],
        [3, 5, false],
      ],
    );
    const exact = await service.search({}, { page: 1, size: documents.length });
    assert.equal(exact.hasNext, false);
  });

  test(`a keyword of ${MAX_KEYWORD_LENGTH} characters is searched, one more is refused`, async () => {
    await service.search({ keyword: 'j'.repeat(MAX_KEYWORD_LENGTH) });
    assert.deepEqual(await refusedFields({ keyword: 'j'.repeat(MAX_KEYWORD_LENGTH + 1) }), ['input.keyword']);
  });

  test('mt and st must be category ids', async () => {
    assert.deepEqual(await refusedFields({ mt: 'java' }), ['input.mt']);
    assert.deepEqual(await refusedFields({ st: '1-3-' }), ['input.st']);
    assert.deepEqual(await refusedFields({ mt: '1 3', st: 'x' }), ['input.mt', 'input.st']);
  });

  test('an st must be under the mt given with it, named once when it is also malformed', async () => {
    assert.deepEqual(await refusedFields({ mt: '1-3', st: '1-4-1' }), ['input.st']);
    assert.deepEqual(await refusedFields({ mt: '1-3', st: '1-30-1' }), ['input.st']);
    assert.deepEqual(await refusedFields({ mt: '1-3', st: 'java' }), ['input.st']);
    await service.search({ mt: '1-3', st: '1-3-1' });
  });

  test('pages may reach the 10,000th result and no further', async () => {
    const last = await service.search({}, { page: 10_000 / MAX_PAGE_SIZE, size: MAX_PAGE_SIZE });
    assert.deepEqual([last.total, last.hits.length, last.hasNext], [documents.length, 0, false]);
    assert.deepEqual(await refusedFields({}, { page: 10_000 / MAX_PAGE_SIZE + 1, size: MAX_PAGE_SIZE }), ['page.page']);
    assert.deepEqual(await refusedFields({}, { page: 1_000_000, size: 1 }), ['page.page']);
  });

  test('problems with the request and the page window are named together', async () => {
    assert.deepEqual(await refusedFields({ keyword: 'k'.repeat(201), mt: 'x' }, { page: 1000, size: 20 }), [
      'input.keyword',
      'input.mt',
      'page.page',
    ]);
  });

  test('the page size is at most the configured maximum, and the page 1 or more', async () => {
    await service.search({}, { page: 1, size: MAX_PAGE_SIZE });
    assert.deepEqual(await refusedFields({}, { page: 1, size: MAX_PAGE_SIZE + 1 }), ['page.size']);
    assert.deepEqual(await refusedFields({}, { page: 1, size: 0 }), ['page.size']);
    assert.deepEqual(await refusedFields({}, { page: 0, size: 20 }), ['page.page']);
  });
});
