import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backendUrl } from '@learnhub/platform/testing';
import { postgresTestDatabase, type TestDatabase } from '@learnhub/platform/testing';
import { graphql, PlatformStack } from './platform-stack';

const postgresUrl = backendUrl('postgres', 'text inputs with content on PostgreSQL');

const CREATE = 'mutation($i: CreateCourseInput!) { createCourse(input: $i) { id name audience } }';
const course = (name: string) => ({
  name,
  audience: '有 Java 基础的开发者',
  mt: '1-3',
  st: '1-3-1',
  grade: 'INTERMEDIATE',
  teachingMode: 'RECORDED',
  charge: 'FREE',
});

/** Every subgraph's text inputs through the gateway, in development mode (where error messages show most). */
describe('text inputs with control characters or lone surrogates', { skip: !postgresUrl, timeout: 120_000 }, () => {
  let stack: PlatformStack;
  let database: TestDatabase;
  let member: string;

  before(async () => {
    database = await postgresTestDatabase(postgresUrl!).create();
    stack = await PlatformStack.start({ NODE_ENV: 'development', CONTENT_DATABASE_URL: database.url });
    member = await stack.token('alice', ['member'], 'org-text');
  });
  after(async () => {
    await stack?.stop();
    await database?.drop();
  });

  const refusal = (result: { errors?: { message: string; extensions?: Record<string, unknown> }[] }) => {
    const error = result.errors?.[0];
    assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
    assert.doesNotMatch(error!.message, /insert|select|update|course_base|\$1/i, 'no SQL in the message');
    return error!;
  };

  test('a NUL in a course name is refused before PostgreSQL sees it, naming the field', async () => {
    const error = refusal(await graphql(stack.gatewayUrl, CREATE, { i: course('Spring\u0000Cloud') }, member));
    assert.match(error.message, /input\.name contains a control character \(U\+0000\)/);
    assert.deepEqual(error.extensions?.fields, [
      { field: 'input.name', message: 'contains a control character (U+0000): remove it' },
    ]);
    const listed = await graphql<{ courses: { total: number } }>(stack.gatewayUrl, '{ courses { total } }', {}, member);
    assert.equal(listed.data?.courses.total, 0, 'nothing was stored');
  });

  test('a lone surrogate is refused rather than stored altered; a real emoji is kept as sent', async () => {
    refusal(await graphql(stack.gatewayUrl, CREATE, { i: course('Kotlin \ud800 入门') }, member));
    const kept = await graphql<{ createCourse: { id: string; name: string } }>(
      stack.gatewayUrl,
      CREATE,
      { i: course('Kotlin 🎓 入门') },
      member,
    );
    assert.equal(kept.errors, undefined);
    assert.equal(kept.data?.createCourse.name, 'Kotlin 🎓 入门');
  });

  test('line breaks stay in prose (a section description) and are refused in a name', async () => {
    const created = await graphql<{ createCourse: { id: string } }>(
      stack.gatewayUrl,
      CREATE,
      { i: course('Go 并发') },
      member,
    );
    const courseId = created.data!.createCourse.id;
    const SAVE = 'mutation($i: SaveTeachplanInput!) { saveTeachplan(input: $i) { id name description } }';
    const chapter = await graphql<{ saveTeachplan: { description: string } }>(
      stack.gatewayUrl,
      SAVE,
      { i: { courseId, name: '第1章', description: '目标：\n\t理解 goroutine' } },
      member,
    );
    assert.equal(chapter.errors, undefined, JSON.stringify(chapter.errors));
    assert.equal(chapter.data?.saveTeachplan.description, '目标：\n\t理解 goroutine');
    const bad = refusal(await graphql(stack.gatewayUrl, SAVE, { i: { courseId, name: '第2章\n' } }, member));
    assert.match(bad.message, /input\.name contains a control character \(U\+000A\)/);
  });

  test('media and search text arguments are guarded the same way', async () => {
    const media = refusal(
      await graphql(
        stack.gatewayUrl,
        'query($f: MediaFilter) { mediaFiles(filter: $f) { total } }',
        { f: { name: 'a\u0000' } },
        member,
      ),
    );
    assert.deepEqual(media.extensions?.fields, [
      { field: 'filter.name', message: 'contains a control character (U+0000): remove it' },
    ]);
    const search = refusal(
      await graphql(stack.gatewayUrl, 'query($i: CourseSearchInput) { searchCourses(input: $i) { total } }', {
        i: { keyword: 'java\u0001' },
      }),
    );
    assert.match(search.message, /input\.keyword contains a control character \(U\+0001\)/);
  });
});
