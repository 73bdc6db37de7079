import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import type { GraphQLAnswer } from '@learnhub/platform/testing';
import { startContentSubgraph, type ContentSubgraph } from '../testing/content-subgraph';

/*
 * The text-input rule as the content subgraph applies it over HTTP, on every database configured
 * here (SQLite always; PostgreSQL and MariaDB with TEST_POSTGRES_URL / TEST_MARIADB_URL), in
 * development mode, where error messages show the most.
 */

const member = { userId: 'u-text', roles: ['member' as const], organisationId: 'org-text' };
const CREATE = 'mutation($i: CreateCourseInput!) { createCourse(input: $i) { id name } }';
const SAVE = 'mutation($i: SaveTeachplanInput!) { saveTeachplan(input: $i) { id name description } }';
const course = (name: string) => ({
  name,
  audience: '有 Java 基础的开发者',
  mt: '1-3',
  st: '1-3-1',
  grade: 'INTERMEDIATE',
  teachingMode: 'RECORDED',
  charge: 'FREE',
});

type Answer = GraphQLAnswer<unknown> & { errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** The one error of a refused request: BAD_USER_INPUT, with no SQL anywhere in the answer. */
function refusal(answer: Answer) {
  assert.equal(answer.errors?.length, 1, JSON.stringify(answer));
  const error = answer.errors![0];
  assert.equal(error.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(answer.errors));
  assert.doesNotMatch(
    JSON.stringify(answer),
    /insert into|select |update |course_base|\$1|\?\s*,/i,
    'no SQL in the answer',
  );
  return error;
}

for (const factory of testDatabases('text inputs in the content subgraph')) {
  describe(`content text inputs (${factory.kind}, development mode)`, () => {
    let database: TestDatabase;
    let content: ContentSubgraph;

    before(async () => {
      database = await factory.create();
      content = await startContentSubgraph(database.url, { NODE_ENV: 'development' });
    });
    after(async () => {
      await content?.stop();
      await database?.drop();
    });

    const total = async () => {
      const listed = await content.graphql<{ courses: { total: number } }>('{ courses { total } }', {}, member);
      assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
      return listed.data!.courses.total;
    };

    test('createCourse with a NUL in its name is refused naming input.name, before any SQL runs', async () => {
      const before = await total();
      const error = refusal(await content.graphql(CREATE, { i: course('Spring\u0000Cloud') }, member));
      assert.equal(error.message, 'input.name contains a control character (U+0000): remove it.');
      assert.deepEqual(error.extensions?.fields, [
        { field: 'input.name', message: 'contains a control character (U+0000): remove it' },
      ]);
      assert.equal(await total(), before, 'nothing was stored');
    });

    test('createCourse with a lone surrogate in its name is refused; a paired one (an emoji) is stored as sent', async () => {
      const error = refusal(await content.graphql(CREATE, { i: course('Kotlin \ud800 入门') }, member));
      assert.match(error.message, /^input\.name contains half of a character \(an unpaired surrogate, U\+D800\)/);
      const kept = await content.graphql<{ createCourse: { name: string } }>(
        CREATE,
        { i: course('Kotlin 🎓 入门') },
        member,
      );
      assert.equal(kept.errors, undefined, JSON.stringify(kept.errors));
      assert.equal(kept.data?.createCourse.name, 'Kotlin 🎓 入门');
    });

    test('a NUL written as a literal in the query is refused the same way as one in a variable', async () => {
      const literal =
        'mutation { createCourse(input: {name: "a\\u0000b", audience: "all", mt: "1-3", st: "1-3-1", grade: INTERMEDIATE, teachingMode: RECORDED, charge: FREE}) { id } }';
      const error = refusal(await content.graphql(literal, {}, member));
      assert.equal(error.extensions?.fields && (error.extensions.fields as { field: string }[])[0].field, 'input.name');
    });

    test('a teachplan description keeps its newline and tab; the same break in its name is refused', async () => {
      const created = await content.graphql<{ createCourse: { id: string } }>(CREATE, { i: course('Go 并发') }, member);
      assert.equal(created.errors, undefined, JSON.stringify(created.errors));
      const courseId = created.data!.createCourse.id;
      const chapter = await content.graphql<{ saveTeachplan: { description: string } }>(
        SAVE,
        { i: { courseId, name: '第1章', description: '目标：\n\t理解 goroutine' } },
        member,
      );
      assert.equal(chapter.errors, undefined, JSON.stringify(chapter.errors));
      assert.equal(chapter.data?.saveTeachplan.description, '目标：\n\t理解 goroutine');
      const error = refusal(await content.graphql(SAVE, { i: { courseId, name: '第2章\n' } }, member));
      assert.match(error.message, /^input\.name contains a control character \(U\+000A\): remove it/);
    });
  });
}
