import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { graphql, PlatformStack, upload, type GraphQLResult } from './platform-stack';

const UPLOAD = 'mutation($file: Upload!) { uploadFile(file: $file) { id type fileName } }';
const png = () => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(3000)]);
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3000)]);

interface Node {
  id: string;
  name: string;
  order: number;
  grade: number;
  children: Node[];
  mediaFileName: string | null;
  media: { id: string; fileName: string; url: string } | null;
}

const COURSE_FIELDS = `id name audience mt st mtName stName grade gradeCode teachingMode auditStatus auditStatusCode publishStatus
  market { charge chargeCode price originalPrice validDays } cover { id mimeType url }`;
const TREE =
  'teachplan { id name order grade children { id name order grade mediaFileName media { id fileName url } } }';

const errorOf = (result: GraphQLResult<unknown>) => result.errors?.[0];

describe('authoring a course through the gateway', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let alice: string;
  let bob: string;
  let auditor: string;
  let cover: string;
  let handout: string;
  let courseId: string;
  const gql = <T>(query: string, variables: object = {}, token = alice) =>
    graphql<T>(stack.gatewayUrl, query, variables, token);

  before(async () => {
    stack = await PlatformStack.start();
    alice = await stack.token('alice', ['member'], '1232141425');
    bob = await stack.token('bob', ['member'], '999');
    auditor = await stack.token('carol', ['auditor']);
    cover = (
      await upload<{ uploadFile: { id: string } }>(stack.gatewayUrl, UPLOAD, new Blob([png()]), 'cover.png', alice)
    ).data!.uploadFile.id;
    handout = (
      await upload<{ uploadFile: { id: string } }>(
        stack.gatewayUrl,
        UPLOAD,
        new Blob([pdf()]),
        '第一讲 讲义.pdf',
        alice,
      )
    ).data!.uploadFile.id;
  });
  after(() => stack.stop());

  test('a member creates a course with its cover and marketing in one go', async () => {
    const created = await gql<{ createCourse: Record<string, unknown> & { id: string } }>(
      `mutation($input: CreateCourseInput!) { createCourse(input: $input) { ${COURSE_FIELDS} } }`,
      {
        input: {
          name: 'Spring Cloud 微服务实战',
          audience: '有 Java 基础的开发者',
          mt: '1-3',
          st: '1-3-1',
          grade: 'INTERMEDIATE',
          teachingMode: 'RECORDED',
          description: '从零搭建微服务',
          coverMediaId: cover,
          charge: 'PAID',
          price: '199',
          originalPrice: '299.9',
          validDays: 365,
        },
      },
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const course = created.data!.createCourse;
    courseId = course.id;
    assert.deepEqual(
      { ...course, id: undefined, cover: { ...(course.cover as object), url: undefined } },
      {
        id: undefined,
        name: 'Spring Cloud 微服务实战',
        audience: '有 Java 基础的开发者',
        mt: '1-3',
        st: '1-3-1',
        mtName: '编程开发',
        stName: 'Java',
        grade: 'INTERMEDIATE',
        gradeCode: '204002',
        teachingMode: 'RECORDED',
        auditStatus: 'NOT_SUBMITTED',
        auditStatusCode: '202002',
        publishStatus: 'UNPUBLISHED',
        market: { charge: 'PAID', chargeCode: '201001', price: '199.00', originalPrice: '299.90', validDays: 365 },
        cover: { id: cover, mimeType: 'image/png', url: undefined },
      },
    );
    assert.equal((await fetch((course.cover as { url: string }).url)).status, 200);
  });

  test('every validation problem is named in one error', async () => {
    const bad = await gql('mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }', {
      input: {
        name: ' ',
        audience: 'x',
        mt: '1-3',
        st: '1-1-1',
        grade: 'BEGINNER',
        teachingMode: 'LIVE',
        charge: 'PAID',
        price: '0',
        coverMediaId: handout,
      },
    });
    const error = errorOf(bad)!;
    assert.equal(error.extensions?.code, 'BAD_USER_INPUT');
    const fields = (error.extensions!.fields as { field: string }[]).map((f) => f.field);
    for (const field of ['name', 'st', 'price', 'coverMediaId'])
      assert.ok(fields.includes(field), `${field} missing from ${fields}`);
  });

  test('a plan of 3 chapters × 4 sections, moved, trimmed and bound to media, comes back in order', async () => {
    const SAVE = 'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id name order grade } }';
    const chapters: string[] = [];
    const sections: string[][] = [];
    for (let c = 1; c <= 3; c++) {
      const chapter = await gql<{ saveTeachplan: { id: string; order: number } }>(SAVE, {
        input: { courseId, name: `第${c}章` },
      });
      assert.equal(chapter.errors, undefined, JSON.stringify(chapter.errors));
      assert.equal(chapter.data!.saveTeachplan.order, c);
      chapters.push(chapter.data!.saveTeachplan.id);
      sections.push([]);
      for (let s = 1; s <= 4; s++) {
        const section = await gql<{ saveTeachplan: { id: string; order: number } }>(SAVE, {
          input: { courseId, parentId: chapter.data!.saveTeachplan.id, name: `${c}.${s} 小节`, durationSeconds: 600 },
        });
        assert.equal(section.data!.saveTeachplan.order, s);
        sections[c - 1].push(section.data!.saveTeachplan.id);
      }
    }

    const moved = await gql<{ moveTeachplan: { name: string; order: number }[] }>(
      'mutation($id: ID!) { moveTeachplan(id: $id, direction: UP) { name order } }',
      { id: sections[0][2] },
    );
    assert.deepEqual(
      moved.data!.moveTeachplan.map((n) => `${n.order}:${n.name}`),
      ['1:1.1 小节', '2:1.3 小节', '3:1.2 小节', '4:1.4 小节'],
    );
    const noop = await gql<{ moveTeachplan: { name: string }[] }>(
      'mutation($id: ID!) { moveTeachplan(id: $id, direction: DOWN) { name } }',
      { id: chapters[2] },
    );
    assert.deepEqual(
      noop.data!.moveTeachplan.map((n) => n.name),
      ['第1章', '第2章', '第3章'],
    );

    assert.equal(
      (await gql('mutation($id: ID!) { deleteTeachplan(id: $id) }', { id: sections[1][0] })).errors,
      undefined,
    );
    const busy = await gql('mutation($id: ID!) { deleteTeachplan(id: $id) }', { id: chapters[2] });
    assert.equal(errorOf(busy)?.extensions?.code, 'CONFLICT');

    const BIND =
      'mutation($input: BindTeachplanMediaInput!) { bindTeachplanMedia(input: $input) { id mediaFileName media { id } } }';
    const bound = await gql<{ bindTeachplanMedia: { mediaFileName: string; media: { id: string } } }>(BIND, {
      input: { teachplanId: sections[0][0], mediaId: handout },
    });
    assert.equal(bound.errors, undefined, JSON.stringify(bound.errors));
    assert.equal(bound.data!.bindTeachplanMedia.mediaFileName, '第一讲 讲义.pdf');
    assert.equal(
      errorOf(await gql(BIND, { input: { teachplanId: chapters[0], mediaId: handout } }))?.extensions?.code,
      'BAD_USER_INPUT',
    );
    assert.equal(
      errorOf(await gql(BIND, { input: { teachplanId: sections[0][1], mediaId: cover } }))?.extensions?.code,
      'BAD_USER_INPUT',
    );
    await gql(BIND, { input: { teachplanId: sections[2][3], mediaId: handout } });
    const unbound = await gql<{ unbindTeachplanMedia: { media: unknown } }>(
      'mutation($id: ID!) { unbindTeachplanMedia(teachplanId: $id) { media { id } } }',
      { id: sections[2][3] },
    );
    assert.equal(unbound.data!.unbindTeachplanMedia.media, null);

    const tree = await gql<{ course: { teachplan: Node[] } }>(`query($id: ID!) { course(id: $id) { ${TREE} } }`, {
      id: courseId,
    });
    assert.equal(tree.errors, undefined, JSON.stringify(tree.errors));
    const outline = tree.data!.course.teachplan.map(
      (ch) => `${ch.order}:${ch.name}[${ch.children.map((s) => `${s.order}:${s.name}`).join(',')}]`,
    );
    assert.deepEqual(outline, [
      '1:第1章[1:1.1 小节,2:1.3 小节,3:1.2 小节,4:1.4 小节]',
      '2:第2章[1:2.2 小节,2:2.3 小节,3:2.4 小节]',
      '3:第3章[1:3.1 小节,2:3.2 小节,3:3.3 小节,4:3.4 小节]',
    ]);
    const first = tree.data!.course.teachplan[0].children[0];
    assert.equal(first.media?.id, handout);
    assert.equal(first.media?.fileName, '第一讲 讲义.pdf');
    assert.equal((await fetch(first.media!.url)).status, 200);
  });

  test('the whole tree costs the media subgraph one batched request', async () => {
    const mediaRequests = async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${stack.ports.media}/metrics`)).text();
      return [...metrics.matchAll(/http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} (\d+)/g)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    };
    const SAVE = 'mutation($input: BindTeachplanMediaInput!) { bindTeachplanMedia(input: $input) { id } }';
    const tree = (
      await gql<{ course: { teachplan: Node[] } }>(`query($id: ID!) { course(id: $id) { ${TREE} } }`, { id: courseId })
    ).data!.course.teachplan;
    for (const section of tree[2].children) await gql(SAVE, { input: { teachplanId: section.id, mediaId: handout } });
    const before = await mediaRequests();
    const again = await gql<{ course: { teachplan: Node[] } }>(
      `query($id: ID!) { course(id: $id) { teachplan { children { media { id url } } } } }`,
      { id: courseId },
    );
    assert.equal(again.data!.course.teachplan[2].children.filter((s) => s.media?.id === handout).length, 4);
    assert.equal((await mediaRequests()) - before, 1);
  });

  test('teachers are added, shown on the course, edited and removed', async () => {
    const SAVE =
      'mutation($input: SaveCourseTeacherInput!) { saveCourseTeacher(input: $input) { id name position photo { id } } }';
    const zhang = await gql<{ saveCourseTeacher: { id: string; photo: { id: string } } }>(SAVE, {
      input: { courseId, name: '张老师', position: '高级讲师', photoMediaId: cover },
    });
    assert.equal(zhang.data!.saveCourseTeacher.photo.id, cover);
    assert.equal(errorOf(await gql(SAVE, { input: { courseId, name: '张老师' } }))?.extensions?.code, 'CONFLICT');
    await gql(SAVE, { input: { courseId, name: '李老师' } });
    await gql(SAVE, {
      input: {
        id: zhang.data!.saveCourseTeacher.id,
        courseId,
        name: '张老师',
        position: '首席讲师',
        photoMediaId: null,
      },
    });
    const listed = await gql<{ course: { teachers: { name: string; position: string | null; photo: unknown }[] } }>(
      'query($id: ID!) { course(id: $id) { teachers { name position photo { id } } } }',
      { id: courseId },
    );
    assert.deepEqual(listed.data!.course.teachers, [
      { name: '张老师', position: '首席讲师', photo: null },
      { name: '李老师', position: null, photo: null },
    ]);
    assert.equal(
      (
        await gql<{ deleteCourseTeacher: boolean }>('mutation($id: ID!) { deleteCourseTeacher(id: $id) }', {
          id: zhang.data!.saveCourseTeacher.id,
        })
      ).data!.deleteCourseTeacher,
      true,
    );
  });

  test("edits merge into the course; lists page and filter the organisation's courses", async () => {
    const updated = await gql<{
      updateCourse: { name: string; audience: string; market: { charge: string; price: string } };
    }>(
      'mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { name audience market { charge price } } }',
      { id: courseId, input: { name: 'Spring Cloud 微服务实战（第二版）', charge: 'FREE' } },
    );
    assert.equal(updated.errors, undefined, JSON.stringify(updated.errors));
    assert.deepEqual(updated.data!.updateCourse, {
      name: 'Spring Cloud 微服务实战（第二版）',
      audience: '有 Java 基础的开发者',
      market: { charge: 'FREE', price: '0.00' },
    });
    const list = await gql<{ courses: { total: number; items: { id: string }[] } }>(
      '{ courses(filter: { name: "第二版", auditStatus: NOT_SUBMITTED }, page: { page: 1, size: 10 }) { total items { id } } }',
    );
    assert.deepEqual(list.data!.courses, { total: 1, items: [{ id: courseId }] });
  });

  test('other organisations never see the course; auditors read it but cannot change it; strangers must sign in', async () => {
    assert.equal(
      (await gql<{ course: unknown }>('query($id: ID!) { course(id: $id) { id } }', { id: courseId }, bob)).data!
        .course,
      null,
    );
    assert.equal(
      errorOf(
        await gql(
          'mutation($id: ID!) { updateCourse(id: $id, input: { name: "mine now" }) { id } }',
          { id: courseId },
          bob,
        ),
      )?.extensions?.code,
      'NOT_FOUND',
    );
    assert.equal(
      errorOf(
        await gql(
          'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }',
          { input: { courseId, name: 'x' } },
          bob,
        ),
      )?.extensions?.code,
      'NOT_FOUND',
    );
    assert.equal((await gql<{ courses: { total: number } }>('{ courses { total } }', {}, bob)).data!.courses.total, 0);
    assert.equal(
      (
        await gql<{ course: { id: string } }>(
          'query($id: ID!) { course(id: $id) { id teachplan { id } } }',
          { id: courseId },
          auditor,
        )
      ).data!.course.id,
      courseId,
    );
    assert.equal(
      errorOf(
        await gql(
          'mutation($id: ID!) { updateCourse(id: $id, input: { name: "audited" }) { id } }',
          { id: courseId },
          auditor,
        ),
      )?.extensions?.code,
      'FORBIDDEN',
    );
    const anonymous = await graphql(stack.gatewayUrl, '{ courses { total } }');
    assert.equal(errorOf(anonymous)?.extensions?.code, 'UNAUTHENTICATED');
  });

  test('order stays dense and matches a model after 200 random plan edits through the gateway', async () => {
    const created = await gql<{ createCourse: { id: string } }>(
      'mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }',
      {
        i: {
          name: '随机编辑课程',
          audience: '测试',
          mt: '1-1',
          st: '1-1-2',
          grade: 'BEGINNER',
          teachingMode: 'RECORDED',
          charge: 'FREE',
        },
      },
    );
    const id = created.data!.createCourse.id;
    type Item = { id: string; name: string; sections: Item[] };
    const model: Item[] = [];
    let seed = 20261124;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const save = async (input: object) => {
      const result = await gql<{ saveTeachplan: { id: string } }>(
        'mutation($i: SaveTeachplanInput!) { saveTeachplan(input: $i) { id } }',
        { i: { courseId: id, ...input } },
      );
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return result.data!.saveTeachplan.id;
    };
    const swap = (list: Item[], index: number, direction: 'UP' | 'DOWN') => {
      const other = index + (direction === 'UP' ? -1 : 1);
      if (other >= 0 && other < list.length) [list[index], list[other]] = [list[other], list[index]];
    };
    for (let step = 0; step < 200; step++) {
      const chapter = model.length ? model[random(model.length)] : undefined;
      const op = model.length === 0 ? 0 : random(6);
      if (op === 0) {
        const name = `章${step}`;
        model.push({ id: await save({ name }), name, sections: [] });
      } else if (op === 1 || op === 2) {
        const name = `节${step}`;
        chapter!.sections.push({ id: await save({ parentId: chapter!.id, name }), name, sections: [] });
      } else if (op === 3) {
        const list = chapter!.sections.length ? chapter!.sections : model;
        const index = list === model ? model.indexOf(chapter!) : random(list.length);
        const result = await gql('mutation($id: ID!) { deleteTeachplan(id: $id) }', { id: list[index].id });
        if (list[index].sections.length) {
          assert.equal(errorOf(result)?.extensions?.code, 'CONFLICT');
        } else {
          assert.equal(result.errors, undefined, JSON.stringify(result.errors));
          list.splice(index, 1);
        }
      } else {
        const list = chapter!.sections.length && random(2) ? chapter!.sections : model;
        const index = list === model ? model.indexOf(chapter!) : random(list.length);
        const direction = random(2) ? 'UP' : 'DOWN';
        const moved = await gql<{ moveTeachplan: { id: string; order: number }[] }>(
          'mutation($id: ID!, $d: MoveDirection!) { moveTeachplan(id: $id, direction: $d) { id order } }',
          { id: list[index].id, d: direction },
        );
        swap(list, index, direction);
        assert.deepEqual(
          moved.data!.moveTeachplan,
          list.map((item, i) => ({ id: item.id, order: i + 1 })),
        );
      }
    }
    const tree = await gql<{ course: { teachplan: Node[] } }>(`query($id: ID!) { course(id: $id) { ${TREE} } }`, {
      id,
    });
    const stored = tree.data!.course.teachplan;
    assert.deepEqual(
      stored.map((c) => c.order),
      stored.map((_, i) => i + 1),
    );
    for (const c of stored)
      assert.deepEqual(
        c.children.map((s) => s.order),
        c.children.map((_, i) => i + 1),
      );
    assert.deepEqual(
      stored.map((c) => [c.id, c.children.map((s) => s.id)]),
      model.map((c) => [c.id, c.sections.map((s) => s.id)]),
    );
  });

  test('a never-submitted course can be deleted, with everything in it', async () => {
    assert.equal(
      (await gql<{ deleteCourse: boolean }>('mutation($id: ID!) { deleteCourse(id: $id) }', { id: courseId })).data!
        .deleteCourse,
      true,
    );
    assert.equal(
      (await gql<{ course: unknown }>('query($id: ID!) { course(id: $id) { id } }', { id: courseId })).data!.course,
      null,
    );
  });
});
