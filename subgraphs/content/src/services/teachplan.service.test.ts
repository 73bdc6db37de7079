import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { anonymous, type Viewer } from '@learnhub/platform/auth';
import { AppError } from '@learnhub/platform/errors';
import { seededRandom } from '@learnhub/platform/random';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { appError } from '@learnhub/platform/testing';
import { CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import type { Caller } from '@learnhub/media/client';
import { Course } from '../entities/course.entity';
import { TeachplanMedia } from '../entities/teachplan-media.entity';
import { CHAPTER_PARENT, Teachplan } from '../entities/teachplan.entity';
import { contentMigrations } from '../migrations/migrations';
import { CourseRepository } from '../repositories/course.repository';
import { TeachplanRepository } from '../repositories/teachplan.repository';
import { contentEntities } from '../entities/content-entities';
import { FakeMediaDirectory } from '../testing/fake-media-directory';
import type { TeachplanInput } from './teachplan-input';
import type { TeachplanNode } from './teachplan-tree';
import { TeachplanService } from './teachplan.service';

const VIDEO_ID = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const DOCUMENT_ID = 'dddddddddddddddddddddddddddddddd';
const IMAGE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_ORG_VIDEO_ID = 'cccccccccccccccccccccccccccccccc';
const UNKNOWN_ID = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';

const member: Viewer = { userId: 'u-member', roles: ['member'], organisationId: 'org-1' };
const outsider: Viewer = { userId: 'u-outsider', roles: ['member'], organisationId: 'org-2' };
const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };
const caller: Caller = { authorization: 'Bearer member-token', requestId: 'req-1' };

/** Like `appError('BAD_USER_INPUT')`, and the problems name exactly `fields`. */
const badFields =
  (...fields: string[]) =>
  (error: unknown): true => {
    appError('BAD_USER_INPUT')(error);
    assert.deepEqual(
      (error as AppError).details.fields?.map((problem) => problem.field),
      fields,
      (error as AppError).message,
    );
    return true;
  };

const names = (nodes: TeachplanNode[]) => nodes.map((node) => node.name);
const at = (date: string) => new Date(date);

for (const factory of testDatabases('teaching plans')) {
  describe(`teaching plans on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: contentEntities, migrations: contentMigrations });
    let media: FakeMediaDirectory;
    beforeEach(() => {
      media = new FakeMediaDirectory()
        .add({ id: VIDEO_ID, type: 'VIDEO', organisationId: 'org-1', fileName: 'lesson.mp4' })
        .add({ id: DOCUMENT_ID, type: 'DOCUMENT', organisationId: 'org-1', fileName: 'notes.pdf' })
        .add({ id: IMAGE_ID, type: 'IMAGE', organisationId: 'org-1', fileName: 'cover.png' })
        .add({ id: OTHER_ORG_VIDEO_ID, type: 'VIDEO', organisationId: 'org-2', fileName: 'theirs.mp4' });
    });

    /** A service over a fresh EntityManager, as each request gets one. */
    const service = () => {
      const em = db.orm.em.fork();
      const courses = new CourseRepository(em);
      return new TeachplanService(courses, new TeachplanRepository(em, courses), media);
    };

    const createCourse = async (organisationId = 'org-1'): Promise<string> => {
      const em = db.orm.em.fork();
      const course = em.create(Course, {
        organisationId,
        name: 'Plans',
        audience: 'anyone',
        mt: '1-1',
        st: '1-1-1',
        grade: CourseGrade.BEGINNER,
        teachingMode: TeachingMode.RECORDED,
        createdBy: 'u-member',
        changedBy: 'u-member',
      });
      await em.flush();
      return course.id;
    };

    const chapter = (courseId: string, name: string, extra: Partial<TeachplanInput> = {}) =>
      service().save(member, { courseId, name, ...extra });
    const section = (courseId: string, parentId: string, name: string, extra: Partial<TeachplanInput> = {}) =>
      service().save(member, { courseId, parentId, name, ...extra });

    /** 3 chapters × 4 sections named c1..c3 and c1.s1..c3.s4. */
    const buildPlan = async (courseId: string) => {
      for (let c = 1; c <= 3; c++) {
        const { id } = await chapter(courseId, `c${c}`);
        for (let s = 1; s <= 4; s++) await section(courseId, id, `c${c}.s${s}`);
      }
      return service().tree(member, courseId);
    };

    const outline = async (courseId: string) =>
      (await service().tree(member, courseId)).map((c) => [c.name, names(c.children)]);

    /** The invariant, from the stored rows: under every parent the orders are exactly 1..n, and sections sit under this course's chapters. */
    const assertDense = async (courseId: string, context = '') => {
      const rows = await db.orm.em.fork().find(Teachplan, { courseId });
      const chapters = new Set(rows.filter((row) => row.parentId === CHAPTER_PARENT).map((row) => row.id));
      const ordersOf = new Map<string, number[]>();
      for (const row of rows) {
        ordersOf.set(row.parentId, [...(ordersOf.get(row.parentId) ?? []), row.orderBy]);
        if (row.parentId === CHAPTER_PARENT) assert.equal(row.grade, 1, `${context}: chapter ${row.id} has grade 1`);
        else
          assert.ok(
            row.grade === 2 && chapters.has(row.parentId),
            `${context}: section ${row.id} sits under a chapter of course ${courseId}`,
          );
      }
      for (const [parent, orders] of ordersOf) {
        assert.deepEqual(
          orders.sort((a, b) => a - b),
          orders.map((_, i) => i + 1),
          `${context}: orders under parent ${parent}`,
        );
      }
    };

    const bindingsOf = (teachplanId: string) => db.orm.em.fork().find(TeachplanMedia, { teachplanId });

    test('a plan of 3 chapters × 4 sections: each node goes last, the tree comes back in order with every field', async () => {
      const courseId = await createCourse();
      const tree = await buildPlan(courseId);
      assert.deepEqual(
        tree.map((c) => [c.name, c.order, c.grade, c.parentId, c.courseId, names(c.children)]),
        [1, 2, 3].map((c) => [`c${c}`, c, 1, null, courseId, [1, 2, 3, 4].map((s) => `c${c}.s${s}`)]),
      );
      for (const c of tree) {
        assert.deepEqual(
          c.children.map((s) => [s.order, s.grade, s.parentId, s.children.length]),
          [1, 2, 3, 4].map((order) => [order, 2, c.id, 0]),
        );
      }
      const first = tree[0].children[0];
      assert.deepEqual(first, {
        id: first.id,
        courseId,
        organisationId: 'org-1',
        parentId: tree[0].id,
        grade: 2,
        name: 'c1.s1',
        order: 1,
        description: undefined,
        preview: false,
        startTime: undefined,
        endTime: undefined,
        durationSeconds: undefined,
        mediaId: undefined,
        mediaFileName: undefined,
        children: [],
      });
      await assertDense(courseId);
    });

    test('the tree costs the same few queries however large the plan is', async () => {
      const small = await createCourse();
      await chapter(small, 'only');
      const large = await createCourse();
      const tree = await buildPlan(large);
      await service().bind(member, caller, { teachplanId: tree[1].children[2].id, mediaId: VIDEO_ID });

      const connection = db.orm.em.getConnection();
      const execute = connection.execute;
      let statements = 0;
      connection.execute = function (this: typeof connection, ...args: Parameters<typeof execute>) {
        statements++;
        return execute.apply(this, args);
      } as typeof execute;
      const count = async (courseId: string) => {
        statements = 0;
        await service().tree(member, courseId);
        return statements;
      };
      try {
        const forSmall = await count(small);
        const forLarge = await count(large);
        assert.ok(
          forSmall > 0 && forSmall <= 3,
          `the tree took ${forSmall} statements: the course, its nodes, their bindings`,
        );
        assert.equal(forLarge, forSmall, '16 nodes with a binding cost no more statements than 1');
      } finally {
        connection.execute = execute;
      }
    });

    test('moves swap with the neighbour and return the siblings; the first up and the last down change nothing', async () => {
      const courseId = await createCourse();
      const tree = await buildPlan(courseId);
      const [c1, c2, c3] = tree;
      const [s1, s2, , s4] = c2.children;

      assert.deepEqual(names(await service().move(member, s2.id, 'UP')), ['c2.s2', 'c2.s1', 'c2.s3', 'c2.s4']);
      assert.deepEqual(
        names(await service().move(member, s2.id, 'UP')),
        ['c2.s2', 'c2.s1', 'c2.s3', 'c2.s4'],
        'the first moved up stays first',
      );
      assert.deepEqual(names(await service().move(member, s1.id, 'DOWN')), ['c2.s2', 'c2.s3', 'c2.s1', 'c2.s4']);
      assert.deepEqual(
        names(await service().move(member, s4.id, 'DOWN')),
        ['c2.s2', 'c2.s3', 'c2.s1', 'c2.s4'],
        'the last moved down stays last',
      );
      const siblings = await service().move(member, s1.id, 'DOWN');
      assert.deepEqual(
        siblings.map((s) => [s.name, s.order]),
        [
          ['c2.s2', 1],
          ['c2.s3', 2],
          ['c2.s4', 3],
          ['c2.s1', 4],
        ],
      );

      const chapters = await service().move(member, c3.id, 'UP');
      assert.deepEqual(
        chapters.map((c) => [c.name, c.order]),
        [
          ['c1', 1],
          ['c3', 2],
          ['c2', 3],
        ],
      );
      assert.deepEqual(
        names(chapters[2].children),
        ['c2.s2', 'c2.s3', 'c2.s4', 'c2.s1'],
        'a chapter moves with its sections',
      );
      assert.deepEqual(names(await service().move(member, c1.id, 'UP')), ['c1', 'c3', 'c2']);
      assert.deepEqual(names(await service().move(member, c2.id, 'DOWN')), ['c1', 'c3', 'c2']);
      assert.deepEqual(await outline(courseId), [
        ['c1', ['c1.s1', 'c1.s2', 'c1.s3', 'c1.s4']],
        ['c3', ['c3.s1', 'c3.s2', 'c3.s3', 'c3.s4']],
        ['c2', ['c2.s2', 'c2.s3', 'c2.s4', 'c2.s1']],
      ]);
      await assertDense(courseId);
    });

    test('deleting the first, a middle and the last section closes each gap', async () => {
      const courseId = await createCourse();
      const [c1, c2, c3] = await buildPlan(courseId);
      assert.equal(await service().delete(member, c1.children[0].id), true);
      await assertDense(courseId, 'after deleting a first');
      assert.equal(await service().delete(member, c2.children[1].id), true);
      await assertDense(courseId, 'after deleting a middle');
      assert.equal(await service().delete(member, c3.children[3].id), true);
      await assertDense(courseId, 'after deleting a last');
      const tree = await service().tree(member, courseId);
      assert.deepEqual(
        tree.map((c) => c.children.map((s) => [s.name, s.order])),
        [
          [
            ['c1.s2', 1],
            ['c1.s3', 2],
            ['c1.s4', 3],
          ],
          [
            ['c2.s1', 1],
            ['c2.s3', 2],
            ['c2.s4', 3],
          ],
          [
            ['c3.s1', 1],
            ['c3.s2', 2],
            ['c3.s3', 3],
          ],
        ],
      );
      await assert.rejects(
        service().delete(member, c1.children[0].id),
        appError('NOT_FOUND'),
        'a deleted node is gone',
      );
    });

    test('a chapter with sections is refused, naming how many; emptied, it goes and the chapters after it move up', async () => {
      const courseId = await createCourse();
      const [c1, c2, c3] = await buildPlan(courseId);
      await assert.rejects(service().delete(member, c2.id), appError('CONFLICT', /"c2" still holds 4 sections/));
      for (const s of c2.children.slice(1)) await service().delete(member, s.id);
      await assert.rejects(service().delete(member, c2.id), appError('CONFLICT', /still holds 1 section;/));
      await service().delete(member, c2.children[0].id);
      assert.equal(await service().delete(member, c2.id), true);
      const tree = await service().tree(member, courseId);
      assert.deepEqual(
        tree.map((c) => [c.id, c.order]),
        [
          [c1.id, 1],
          [c3.id, 2],
        ],
      );
      await assertDense(courseId);
    });

    test('deleting a section deletes its media binding, and only its own', async () => {
      const courseId = await createCourse();
      const [c1] = await buildPlan(courseId);
      const [s1, s2] = c1.children;
      await service().bind(member, caller, { teachplanId: s1.id, mediaId: VIDEO_ID });
      await service().bind(member, caller, { teachplanId: s2.id, mediaId: DOCUMENT_ID });
      await service().delete(member, s1.id);
      assert.equal((await bindingsOf(s1.id)).length, 0);
      assert.equal((await bindingsOf(s2.id)).length, 1);
      const [first] = (await service().tree(member, courseId))[0].children;
      assert.deepEqual(
        [first.id, first.order, first.mediaId],
        [s2.id, 1, DOCUMENT_ID],
        'the binding stays with its section as it moves up',
      );
    });

    test('200 random edits keep every level dense and match a model of the expected plan', async () => {
      const seed = Number(process.env.TEACHPLAN_SEED ?? 20240611);
      const next = seededRandom(seed);
      const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
      const courseId = await createCourse();
      type Entry = { id: string; name: string };
      const model: (Entry & { sections: Entry[] })[] = [];
      const swap = <T>(list: T[], index: number, direction: 'UP' | 'DOWN') => {
        const other = index + (direction === 'UP' ? -1 : 1);
        if (other >= 0 && other < list.length) [list[index], list[other]] = [list[other], list[index]];
      };

      for (let step = 1; step <= 200; step++) {
        const context = `seed ${seed}, step ${step}`;
        const sections = model.flatMap((c) => c.sections.map((s) => ({ chapter: c, section: s })));
        const roll = next();
        let did: string;
        if (model.length === 0 || (roll < 0.12 && model.length < 6)) {
          const created = await chapter(courseId, `chapter ${step}`);
          model.push({ id: created.id, name: created.name, sections: [] });
          did = 'create chapter';
        } else if (roll < 0.45) {
          const target = pick(model);
          const created = await section(courseId, target.id, `section ${step}`);
          target.sections.push({ id: created.id, name: created.name });
          did = `create section in ${target.id}`;
        } else if (roll < 0.55 && sections.length > 0) {
          const { chapter: owner, section: gone } = pick(sections);
          await service().delete(member, gone.id);
          owner.sections.splice(owner.sections.indexOf(gone), 1);
          did = `delete section ${gone.id}`;
        } else if (roll < 0.6) {
          const target = pick(model);
          if (target.sections.length > 0) {
            await assert.rejects(service().delete(member, target.id), appError('CONFLICT'), context);
          } else {
            await service().delete(member, target.id);
            model.splice(model.indexOf(target), 1);
          }
          did = `delete chapter ${target.id}`;
        } else if (roll < 0.9) {
          const direction = next() < 0.5 ? 'UP' : 'DOWN';
          const onChapter = sections.length === 0 || next() < 0.3;
          const list = onChapter ? model : pick(model.filter((c) => c.sections.length > 0)).sections;
          const index = Math.floor(next() * list.length);
          did = `move ${list[index].id} ${direction}`;
          const siblings = await service().move(member, list[index].id, direction);
          swap<Entry>(list, index, direction);
          assert.deepEqual(
            siblings.map((s) => s.id),
            list.map((s) => s.id),
            `${context} (${did}): the siblings it returns`,
          );
        } else {
          const target = pick([...model, ...sections.map((s) => s.section)]);
          const renamed = `${target.name}'`;
          const saved = await service().save(member, { id: target.id, courseId, name: renamed });
          target.name = renamed;
          assert.equal(saved.name, renamed, context);
          did = `rename ${target.id}`;
        }
        await assertDense(courseId, `${context} (${did})`);
        assert.deepEqual(
          await outline(courseId),
          model.map((c) => [c.name, c.sections.map((s) => s.name)]),
          `${context} (${did}): the plan matches the model`,
        );
      }
      const tree = await service().tree(member, courseId);
      assert.deepEqual(
        tree.map((c) => [c.id, c.order, c.children.map((s) => [s.id, s.order])]),
        model.map((c, i) => [c.id, i + 1, c.sections.map((s, j) => [s.id, j + 1])]),
        `seed ${seed}: the final plan`,
      );
    });

    test('concurrent creates, moves and deletes on separate connections take turns: dense, unique, nothing lost or doubled', async () => {
      const courseId = await createCourse();
      const busy = await chapter(courseId, 'busy');
      const initial: TeachplanNode[] = [];
      for (let i = 1; i <= 8; i++) initial.push(await section(courseId, busy.id, `initial ${i}`));
      const kept = initial.slice(0, 5);
      const deleted = initial.slice(5);

      const creates = Array.from({ length: 20 }, (_, i) => section(courseId, busy.id, `new ${i + 1}`));
      const chapters = Array.from({ length: 5 }, (_, i) => chapter(courseId, `parallel ${i + 1}`));
      const moves = kept.flatMap((s, i) => [
        service().move(member, s.id, i % 2 ? 'UP' : 'DOWN'),
        service().move(member, s.id, i % 2 ? 'DOWN' : 'UP'),
      ]);
      const deletes = deleted.map((s) => service().delete(member, s.id));
      const results = await Promise.allSettled([...creates, ...chapters, ...moves, ...deletes]);
      assert.deepEqual(
        results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : [])),
        [],
        'no operation failed',
      );

      await assertDense(courseId, 'after the race');
      const tree = await service().tree(member, courseId);
      const createdIds = (await Promise.all(creates)).map((s) => s.id);
      const sectionIds = tree[0].children.map((s) => s.id);
      assert.equal(tree[0].id, busy.id);
      assert.equal(sectionIds.length, kept.length + createdIds.length);
      assert.deepEqual(
        [...sectionIds].sort(),
        [...kept.map((s) => s.id), ...createdIds].sort(),
        'every created section exactly once, the deleted ones gone',
      );
      assert.deepEqual(names(tree.slice(1)).sort(), [
        'parallel 1',
        'parallel 2',
        'parallel 3',
        'parallel 4',
        'parallel 5',
      ]);
      assert.deepEqual(
        tree.map((c) => c.order),
        tree.map((_, i) => i + 1),
      );
    });

    describe('saving', () => {
      test('a section only goes under a chapter of the same course', async () => {
        const courseId = await createCourse();
        const otherCourse = await createCourse();
        const [c1] = await buildPlan(courseId);
        const foreign = await chapter(otherCourse, 'foreign');
        await assert.rejects(
          section(courseId, c1.children[0].id, 'too deep'),
          appError('BAD_USER_INPUT', /"c1\.s1" is a section/),
        );
        await assert.rejects(section(courseId, foreign.id, 'elsewhere'), badFields('parentId'));
        await assert.rejects(
          section(courseId, '999999999', 'nowhere'),
          appError('BAD_USER_INPUT', /has no chapter 999999999/),
        );
        await assert.rejects(section(courseId, 'abc', 'nowhere'), badFields('parentId'));
        assert.deepEqual(
          names((await service().tree(member, otherCourse))[0].children),
          [],
          'nothing was added anywhere',
        );
        await assertDense(courseId);
      });

      test('name, description, duration and times are checked field by field, all problems at once', async () => {
        const courseId = await createCourse();
        const c1 = await chapter(courseId, 'c1');
        await assert.rejects(chapter(courseId, '   '), badFields('name'));
        await assert.rejects(
          chapter(courseId, 'x'.repeat(101)),
          appError('BAD_USER_INPUT', /name must be at most 100 characters \(it has 101\)/),
        );
        await assert.rejects(
          section(courseId, c1.id, 's', { description: 'd'.repeat(1001) }),
          badFields('description'),
        );
        for (const durationSeconds of [-1, 604801, 1.5]) {
          await assert.rejects(
            section(courseId, c1.id, 's', { durationSeconds }),
            appError('BAD_USER_INPUT', /durationSeconds must be a whole number of seconds from 0 to 604800/),
          );
        }
        await assert.rejects(
          section(courseId, c1.id, 's', { startTime: at('2025-03-01T10:00:00Z'), endTime: at('2025-03-01T09:59:59Z') }),
          appError('BAD_USER_INPUT', /endTime must not be before startTime/),
        );
        await assert.rejects(
          section(courseId, c1.id, '', {
            description: 'd'.repeat(1001),
            durationSeconds: -5,
            startTime: at('2025-03-02T00:00:00Z'),
            endTime: at('2025-03-01T00:00:00Z'),
          }),
          badFields('name', 'description', 'durationSeconds', 'endTime'),
        );
        assert.deepEqual(await outline(courseId), [['c1', []]], 'nothing was stored');

        const saved = await section(courseId, c1.id, `  ${'n'.repeat(100)}  `, {
          description: '  what this covers  ',
          durationSeconds: 604800,
          startTime: at('2025-03-01T10:00:00Z'),
          endTime: at('2025-03-01T10:00:00Z'),
          preview: true,
        });
        assert.equal(saved.name, 'n'.repeat(100), 'the name is trimmed');
        assert.equal(saved.description, 'what this covers');
        assert.equal(saved.durationSeconds, 604800);
        assert.equal(saved.preview, true);
        assert.equal(saved.startTime?.getTime(), at('2025-03-01T10:00:00Z').getTime());
        assert.equal(saved.endTime?.getTime(), saved.startTime?.getTime());
        const zero = await section(courseId, c1.id, 'zero', { durationSeconds: 0, description: '   ' });
        assert.deepEqual(
          [zero.durationSeconds, zero.description],
          [0, undefined],
          'zero seconds is a duration; a blank description is none',
        );
      });

      test('preview is refused on chapters, which hold no media', async () => {
        const courseId = await createCourse();
        await assert.rejects(
          chapter(courseId, 'c', { preview: true }),
          appError('BAD_USER_INPUT', /only sections can be free previews/),
        );
        const c = await chapter(courseId, 'c', { preview: false });
        await assert.rejects(
          service().save(member, { id: c.id, courseId, name: 'c', preview: true }),
          badFields('preview'),
        );
        assert.equal((await service().tree(member, courseId))[0].preview, false);
      });

      test('an update changes fields only: order, parent and binding stay; omitted fields keep, null clears', async () => {
        const courseId = await createCourse();
        const [c1, c2] = await buildPlan(courseId);
        const target = c1.children[2];
        await service().bind(member, caller, { teachplanId: target.id, mediaId: VIDEO_ID });
        const first = await service().save(member, {
          id: target.id,
          courseId,
          name: 'renamed',
          description: 'about',
          durationSeconds: 600,
          startTime: at('2025-03-01T09:00:00Z'),
          preview: true,
        });
        assert.deepEqual(
          [
            first.id,
            first.name,
            first.order,
            first.parentId,
            first.description,
            first.durationSeconds,
            first.preview,
            first.mediaId,
          ],
          [target.id, 'renamed', 3, c1.id, 'about', 600, true, VIDEO_ID],
        );
        const second = await service().save(member, {
          id: target.id,
          courseId,
          parentId: c1.id,
          name: 'again',
          description: null,
        });
        assert.deepEqual(
          [second.name, second.description, second.durationSeconds, second.preview, second.startTime?.getTime()],
          ['again', undefined, 600, true, at('2025-03-01T09:00:00Z').getTime()],
          'omitted fields kept, the null description cleared',
        );
        await assert.rejects(
          service().save(member, { id: target.id, courseId, name: 'again', endTime: at('2025-03-01T08:00:00Z') }),
          badFields('endTime'),
          'the end is checked against the stored start',
        );
        const renamedChapter = await service().save(member, {
          id: c2.id,
          courseId,
          name: 'chapter two',
          parentId: null,
        });
        assert.deepEqual(
          [renamedChapter.name, renamedChapter.order, renamedChapter.children.length],
          ['chapter two', 2, 4],
        );
        await assertDense(courseId);
      });

      test('an update cannot move a node or name another course', async () => {
        const courseId = await createCourse();
        const otherCourse = await createCourse();
        const [c1, c2] = await buildPlan(courseId);
        const s = c1.children[0];
        await assert.rejects(
          service().save(member, { id: s.id, courseId, parentId: c2.id, name: 'moved' }),
          appError('BAD_USER_INPUT', /moving between chapters is not supported/i),
        );
        await assert.rejects(
          service().save(member, { id: s.id, courseId, parentId: null, name: 'promoted' }),
          badFields('parentId'),
        );
        await assert.rejects(
          service().save(member, { id: c2.id, courseId, parentId: c1.id, name: 'demoted' }),
          badFields('parentId'),
        );
        await assert.rejects(
          service().save(member, { id: s.id, courseId: otherCourse, name: 'elsewhere' }),
          appError('BAD_USER_INPUT', new RegExp(`belongs to course ${courseId}, not ${otherCourse}`)),
        );
        assert.deepEqual((await outline(courseId))[0], ['c1', ['c1.s1', 'c1.s2', 'c1.s3', 'c1.s4']]);
      });
    });

    describe('media binding', () => {
      test('a video binds to a section, asking media with the caller; a document replaces it in the one row', async () => {
        const courseId = await createCourse();
        const c1 = await chapter(courseId, 'c1');
        const s1 = await section(courseId, c1.id, 's1');
        const bound = await service().bind(member, caller, { teachplanId: s1.id, mediaId: VIDEO_ID });
        assert.deepEqual([bound.id, bound.mediaId, bound.mediaFileName], [s1.id, VIDEO_ID, 'lesson.mp4']);
        assert.deepEqual(media.lookups, [{ id: VIDEO_ID, caller }]);

        const replaced = await service().bind(member, caller, { teachplanId: s1.id, mediaId: DOCUMENT_ID });
        assert.deepEqual([replaced.mediaId, replaced.mediaFileName], [DOCUMENT_ID, 'notes.pdf']);
        const rows = await bindingsOf(s1.id);
        assert.deepEqual(
          rows.map((row) => [row.mediaId, row.courseId, row.createdBy]),
          [[DOCUMENT_ID, courseId, 'u-member']],
        );
        await service().bind(member, caller, { teachplanId: s1.id, mediaId: DOCUMENT_ID });
        assert.equal((await bindingsOf(s1.id)).length, 1, 'binding the same media again keeps one row');
        assert.equal((await service().tree(member, courseId))[0].children[0].mediaFileName, 'notes.pdf');
      });

      test("chapters, images, other organisations' media and unknown media are refused, leaving the binding as it was", async () => {
        const courseId = await createCourse();
        const c1 = await chapter(courseId, 'c1');
        const s1 = await section(courseId, c1.id, 's1');
        await service().bind(member, caller, { teachplanId: s1.id, mediaId: VIDEO_ID });
        const lookups = media.lookups.length;
        await assert.rejects(
          service().bind(member, caller, { teachplanId: c1.id, mediaId: VIDEO_ID }),
          appError('BAD_USER_INPUT', /"c1" is a chapter/),
        );
        assert.equal(media.lookups.length, lookups, 'refused before asking media');
        const bindTo = (mediaId: string) => service().bind(member, caller, { teachplanId: s1.id, mediaId });
        await assert.rejects(
          bindTo(IMAGE_ID),
          appError('BAD_USER_INPUT', /is an image; a section needs a video or a document/),
        );
        await assert.rejects(bindTo(OTHER_ORG_VIDEO_ID), appError('BAD_USER_INPUT', /belongs to another organisation/));
        await assert.rejects(
          bindTo(UNKNOWN_ID),
          appError('BAD_USER_INPUT', new RegExp(`${UNKNOWN_ID} does not exist`)),
        );
        assert.deepEqual(
          (await bindingsOf(s1.id)).map((row) => row.mediaId),
          [VIDEO_ID],
        );
        assert.deepEqual((await bindingsOf(c1.id)).length, 0);
      });

      test('unbinding removes the binding; a section without one comes back unchanged', async () => {
        const courseId = await createCourse();
        const c1 = await chapter(courseId, 'c1');
        const s1 = await section(courseId, c1.id, 's1');
        await service().bind(member, caller, { teachplanId: s1.id, mediaId: VIDEO_ID });
        const unbound = await service().unbind(member, s1.id);
        assert.deepEqual([unbound.id, unbound.mediaId, unbound.mediaFileName], [s1.id, undefined, undefined]);
        assert.equal((await bindingsOf(s1.id)).length, 0);
        const again = await service().unbind(member, s1.id);
        assert.deepEqual([again.id, again.name, again.mediaId], [s1.id, 's1', undefined]);
      });
    });

    describe('who may read and write', () => {
      test("another organisation's member finds nothing: NOT_FOUND, nothing changed, media never asked", async () => {
        const courseId = await createCourse();
        const [c1] = await buildPlan(courseId);
        const s1 = c1.children[0];
        await assert.rejects(
          service().tree(outsider, courseId),
          appError('NOT_FOUND', new RegExp(`Course ${courseId}`)),
        );
        await assert.rejects(service().save(outsider, { courseId, name: 'intruder' }), appError('NOT_FOUND'));
        await assert.rejects(
          service().save(outsider, { courseId, parentId: c1.id, name: 'intruder' }),
          appError('NOT_FOUND'),
        );
        await assert.rejects(
          service().save(outsider, { id: s1.id, courseId, name: 'intruder' }),
          appError('NOT_FOUND', new RegExp(`Teachplan ${s1.id} `)),
        );
        await assert.rejects(
          service().delete(outsider, s1.id),
          appError('NOT_FOUND', new RegExp(`Teachplan ${s1.id} `)),
        );
        await assert.rejects(service().move(outsider, s1.id, 'DOWN'), appError('NOT_FOUND'));
        await assert.rejects(
          service().bind(outsider, caller, { teachplanId: s1.id, mediaId: OTHER_ORG_VIDEO_ID }),
          appError('NOT_FOUND'),
        );
        await assert.rejects(service().unbind(outsider, s1.id), appError('NOT_FOUND'));
        assert.deepEqual(media.lookups, []);
        assert.deepEqual((await outline(courseId))[0], ['c1', ['c1.s1', 'c1.s2', 'c1.s3', 'c1.s4']]);
      });

      test('an auditor reads the tree but changes nothing (FORBIDDEN); anonymous callers are UNAUTHENTICATED', async () => {
        const courseId = await createCourse();
        const [c1] = await buildPlan(courseId);
        const s1 = c1.children[0];
        assert.deepEqual(names(await service().tree(auditor, courseId)), ['c1', 'c2', 'c3']);
        const forbidden = appError('FORBIDDEN', /Only members of organisation org-1/);
        await assert.rejects(service().save(auditor, { courseId, name: 'audit' }), forbidden);
        await assert.rejects(service().save(auditor, { id: s1.id, courseId, name: 'audit' }), forbidden);
        await assert.rejects(service().delete(auditor, s1.id), forbidden);
        await assert.rejects(service().move(auditor, s1.id, 'DOWN'), forbidden);
        await assert.rejects(service().bind(auditor, caller, { teachplanId: s1.id, mediaId: VIDEO_ID }), forbidden);
        await assert.rejects(service().unbind(auditor, s1.id), forbidden);
        for (const attempt of [
          () => service().tree(anonymous, courseId),
          () => service().save(anonymous, { courseId, name: 'anon' }),
          () => service().delete(anonymous, s1.id),
          () => service().move(anonymous, 'abc', 'UP'),
          () => service().bind(anonymous, caller, { teachplanId: s1.id, mediaId: VIDEO_ID }),
          () => service().unbind(anonymous, s1.id),
        ]) {
          await assert.rejects(attempt, appError('UNAUTHENTICATED'));
        }
        assert.deepEqual(media.lookups, []);
        assert.deepEqual(await outline(courseId), [
          ['c1', ['c1.s1', 'c1.s2', 'c1.s3', 'c1.s4']],
          ['c2', ['c2.s1', 'c2.s2', 'c2.s3', 'c2.s4']],
          ['c3', ['c3.s1', 'c3.s2', 'c3.s3', 'c3.s4']],
        ]);
      });

      test('unknown and non-numeric ids are NOT_FOUND, never a database error', async () => {
        const courseId = await createCourse();
        for (const id of [
          'abc',
          '1; drop table teachplan',
          '-1',
          '0',
          '1.5',
          '99999999999999999999',
          '999999999',
          '',
        ]) {
          await assert.rejects(service().tree(member, id), appError('NOT_FOUND'), `tree(${id})`);
          await assert.rejects(
            service().save(member, { courseId: id, name: 'x' }),
            appError('NOT_FOUND'),
            `save in course ${id}`,
          );
          await assert.rejects(
            service().save(member, { id, courseId, name: 'x' }),
            appError('NOT_FOUND'),
            `save ${id}`,
          );
          await assert.rejects(service().delete(member, id), appError('NOT_FOUND'), `delete(${id})`);
          await assert.rejects(service().move(member, id, 'UP'), appError('NOT_FOUND'), `move(${id})`);
          await assert.rejects(
            service().bind(member, caller, { teachplanId: id, mediaId: VIDEO_ID }),
            appError('NOT_FOUND'),
            `bind(${id})`,
          );
          await assert.rejects(service().unbind(member, id), appError('NOT_FOUND'), `unbind(${id})`);
        }
      });
    });
  });
}
