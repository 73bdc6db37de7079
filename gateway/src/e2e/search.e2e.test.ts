import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CourseIndexClient, type CourseDocument } from '@learnhub/contracts/course-index';
import { courseDocument } from '../testing/course-document';
import { graphql, PlatformStack } from './platform-stack';

const SEARCH = `query($input: CourseSearchInput, $page: PageInput) {
  searchCourses(input: $input, page: $page) {
    total page size hasNext
    hits { id name highlightedName score mtName stName grade price publishedAt course { id } }
    facets { mt { value name count } st { value name count } grade { value count } }
  }
}`;

interface SearchResult {
  searchCourses: {
    total: number;
    page: number;
    size: number;
    hasNext: boolean;
    hits: {
      id: string;
      name: string;
      highlightedName: string;
      score: number;
      mtName: string;
      price: string;
      course: { id: string };
    }[];
    facets: { mt: { value: string; name: string; count: number }[]; st: unknown[]; grade: unknown[] };
  };
}

describe('searching published courses through the gateway', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let indexer: CourseIndexClient;
  let owner: string;
  let courseId: string;
  const search = (input: object, page?: object, token?: string) =>
    graphql<SearchResult>(stack.gatewayUrl, SEARCH, { input, page }, token);

  before(async () => {
    stack = await PlatformStack.start();
    indexer = new CourseIndexClient(stack.searchUrl, stack.gatewaySecret);
    owner = await stack.token('alice', ['member'], 'org-a');
    const created = await graphql<{ createCourse: { id: string } }>(
      stack.gatewayUrl,
      'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }',
      {
        input: {
          name: 'Spring微服务架构实战',
          audience: '后端开发者',
          mt: '1-3',
          st: '1-3-1',
          grade: 'INTERMEDIATE',
          teachingMode: 'RECORDED',
          charge: 'PAID',
          price: '199',
        },
      },
      owner,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    courseId = created.data!.createCourse.id;
  });
  after(() => stack?.stop());

  test('the indexing API takes documents only with the gateway secret, and names bad fields', async () => {
    await assert.rejects(
      new CourseIndexClient(stack.searchUrl).upsert(courseDocument({ id: courseId })),
      /search service answered HTTP 403/,
    );
    await assert.rejects(
      indexer.upsert({ ...courseDocument({ id: courseId }), price: 'free', mt: 'java' } as CourseDocument),
      (error: Error & { code?: string; details?: { fields?: { field: string }[] } }) => {
        assert.equal(error.code, 'BAD_USER_INPUT');
        assert.deepEqual(error.details?.fields?.map((f) => f.field).sort(), [
          'document.mt',
          'document.price',
          'document.st',
        ]);
        return true;
      },
    );
    assert.equal(await indexer.upsert(courseDocument({ id: courseId, name: 'Spring微服务架构实战' })), 'applied');
    assert.equal(
      await indexer.upsert(courseDocument({ id: courseId, name: 'Spring微服务架构实战' })),
      'applied',
      'a repeated publish is harmless',
    );
    assert.equal(
      await indexer.upsert(courseDocument({ id: courseId, version: 1, name: '旧名字' })),
      'applied',
      'the same version replaces',
    );
    assert.equal(
      await indexer.upsert(courseDocument({ id: courseId, version: 2, name: 'Spring微服务架构实战' })),
      'applied',
    );
    assert.equal(
      await indexer.upsert(courseDocument({ id: courseId, version: 1, name: '旧名字' })),
      'stale',
      'an older version is ignored',
    );
    assert.equal(
      await indexer.upsert(
        courseDocument({
          id: 'vue-1',
          name: 'Vue3 前端课',
          mt: '1-1',
          mtName: '前端开发',
          st: '1-1-4',
          stName: 'Vue',
          price: '99.00',
        }),
      ),
      'applied',
    );
    assert.equal(
      await indexer.upsert(
        courseDocument({
          id: 'go-1',
          name: 'Go 微服务',
          st: '1-3-3',
          stName: 'Go',
          grade: 'ADVANCED' as CourseDocument['grade'],
          price: '299.00',
        }),
      ),
      'applied',
    );
  });

  test('anyone finds published courses by mixed Chinese and English, with highlights, facets and the course reference', async () => {
    const result = await search({ keyword: 'Spring微服务' });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const found = result.data!.searchCourses;
    assert.equal(found.total, 1);
    assert.deepEqual(
      { ...found.hits[0], score: undefined },
      {
        id: courseId,
        name: 'Spring微服务架构实战',
        highlightedName: '<em>Spring微服务</em>架构实战',
        score: undefined,
        mtName: '编程开发',
        stName: 'Java',
        grade: 'INTERMEDIATE',
        price: '199.00',
        publishedAt: '2026-01-01T00:00:00.000Z',
        course: { id: courseId },
      },
    );
    assert.deepEqual(found.facets.mt, [{ value: '1-3', name: '编程开发', count: 1 }]);

    const micro = (await search({ keyword: '微服务', mt: '1-3', st: '1-3-3' })).data!.searchCourses;
    assert.deepEqual(
      micro.hits.map((hit) => hit.id),
      ['go-1'],
    );
    assert.deepEqual(
      micro.facets.st,
      [
        { value: '1-3-1', name: 'Java', count: 1 },
        { value: '1-3-3', name: 'Go', count: 1 },
      ].sort((a, b) => a.value.localeCompare(b.value)),
    );

    const browse = (await search({ mt: '1-1' }, { page: 1, size: 1 })).data!.searchCourses;
    assert.deepEqual(
      browse.hits.map((hit) => hit.id),
      ['vue-1'],
    );
    assert.deepEqual(
      browse.facets.mt.map((f) => [f.value, f.count]),
      [
        ['1-3', 2],
        ['1-1', 1],
      ],
      'choosing a major still lists the others',
    );
  });

  test('the course reference resolves through content for those who may read the course', async () => {
    const query = `query($input: CourseSearchInput) { searchCourses(input: $input) { hits { id course { id name publishStatus } } } }`;
    const asOwner = await graphql<{ searchCourses: { hits: { course: { name: string } | null }[] } }>(
      stack.gatewayUrl,
      query,
      { input: { keyword: 'spring' } },
      owner,
    );
    assert.equal(asOwner.errors, undefined, JSON.stringify(asOwner.errors));
    assert.deepEqual(asOwner.data!.searchCourses.hits[0].course, {
      id: courseId,
      name: 'Spring微服务架构实战',
      publishStatus: 'UNPUBLISHED',
    });
    const anonymous = await graphql<{ searchCourses: { hits: { id: string; course: unknown }[] } }>(
      stack.gatewayUrl,
      query,
      { input: { keyword: 'spring' } },
    );
    assert.deepEqual(
      anonymous.data?.searchCourses.hits,
      [{ id: courseId, course: null }],
      'content hides draft fields from strangers; the hit itself still renders',
    );
  });

  test('bad searches get a clear error; absurd keywords are answered safely', async () => {
    const long = await search({ keyword: 'Spring微服务'.repeat(1000) });
    assert.equal(long.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(long.errors![0].message, /input\.keyword must be at most 200 characters/);
    const category = await search({ mt: 'java', st: '1-1-1' });
    assert.match(category.errors![0].message, /input\.mt must be a category id/);
    const deep = await search({}, { page: 1000, size: 20 });
    assert.match(deep.errors![0].message, /page\.page goes past the first 10000 results/);
    for (const keyword of [`'; DROP TABLE search_course; --`, '！！！？？？', '"*:^()', '   ']) {
      const result = await search({ keyword });
      assert.equal(result.errors, undefined, `${keyword}: ${JSON.stringify(result.errors)}`);
    }
    assert.equal((await search({ keyword: '！！！？？？' })).data!.searchCourses.total, 0);
    assert.equal((await search({})).data!.searchCourses.total, 3, 'the index is intact');
  });

  test('taking a course offline removes it from search; reindexing replaces the whole index', async () => {
    assert.equal(await indexer.remove(courseId, 3), 'applied');
    assert.equal((await search({ keyword: 'spring' })).data!.searchCourses.total, 0);
    assert.equal(
      await indexer.upsert(courseDocument({ id: courseId, version: 2 })),
      'stale',
      'a late publish of an older version stays out',
    );

    const cli = require.resolve('@learnhub/search/reindex-cli');
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      '--generated',
      '300',
      '--seed',
      '3',
      '--replace',
      '--index',
      `sqlite:${join(stack.dataDir, 'search.sqlite')}`,
    ]);
    assert.match(stdout, /the sqlite index now holds 300 published courses/);
    const all = (await search({}, { page: 2, size: 100 })).data!.searchCourses;
    assert.equal(all.total, 300);
    assert.equal(all.hits.length, 100);
    assert.equal(all.hasNext, true);
    const practice = (await search({ keyword: '实战' })).data!.searchCourses;
    assert.ok(practice.total > 0 && practice.total < 300);
    assert.match(practice.hits[0].highlightedName, /<em>实战<\/em>/, 'the best hit has the word in its name');
  });
});
