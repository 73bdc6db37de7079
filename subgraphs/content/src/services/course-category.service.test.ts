import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { anonymous, type Viewer } from '@learnhub/platform/auth';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { appError } from '@learnhub/platform/testing';
import { seedCategories } from '@learnhub/contracts/published-course';
import type { Caller } from '@learnhub/media/client';
import { CourseCategory } from '../entities/course-category.entity';
import { contentMigrations } from '../migrations/migrations';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { contentEntities } from '../entities/content-entities';
import { CourseCategoryService } from './course-category.service';
import { FakeMediaDirectory } from '../testing/fake-media-directory';

const IMAGE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_IMAGE_ID = 'cccccccccccccccccccccccccccccccc';
const VIDEO_ID = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const DOCUMENT_ID = 'dddddddddddddddddddddddddddddddd';
const UNKNOWN_ID = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';

const admin: Viewer = { userId: 'u-admin', roles: ['admin'] };
const member: Viewer = { userId: 'u-member', roles: ['member'], organisationId: 'org-1' };
const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };
const caller: Caller = { authorization: 'Bearer admin-token', requestId: 'req-1' };

for (const factory of testDatabases('course categories')) {
  describe(`course categories on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: contentEntities, migrations: contentMigrations });
    let media: FakeMediaDirectory;
    beforeEach(() => {
      media = new FakeMediaDirectory()
        .add({ id: IMAGE_ID, type: 'IMAGE', organisationId: 'org-1', fileName: 'icon.png' })
        .add({ id: OTHER_IMAGE_ID, type: 'IMAGE', organisationId: 'org-2', fileName: 'other.png' })
        .add({ id: VIDEO_ID, type: 'VIDEO', organisationId: 'org-1', fileName: 'lesson.mp4' })
        .add({ id: DOCUMENT_ID, type: 'DOCUMENT', organisationId: 'org-1', fileName: 'notes.pdf' });
    });

    /** A service over a fresh EntityManager, as each request gets one. */
    const service = () => new CourseCategoryService(new CourseCategoryRepository(db.orm.em.fork()), media);
    const storedIcon = async (id: string) =>
      (await db.orm.em.fork().findOneOrFail(CourseCategory, { id })).iconMediaId ?? undefined;
    const setShown = async (ids: string[], isShow: boolean) => {
      const em = db.orm.em.fork();
      for (const category of await em.find(CourseCategory, { id: { $in: ids } })) category.isShow = isShow;
      await em.flush();
    };

    test('the seeded tree has the 12 majors in order, each with its minors in order, leaves flagged', async () => {
      const tree = await service().tree();
      assert.equal(tree.length, 12);
      assert.deepEqual(
        tree.map((major) => [major.id, major.order, major.name, major.leaf]),
        seedCategories.map((major, i) => [`1-${i + 1}`, i + 1, major.name, false]),
      );
      tree.forEach((major, i) => {
        const seeded = seedCategories[i];
        assert.equal(major.label, seeded.name);
        assert.deepEqual(
          major.children.map((minor) => [minor.id, minor.order, minor.name, minor.leaf, minor.children.length]),
          seeded.minors.map((name, j) => [`${major.id}-${j + 1}`, j + 1, name, true, 0]),
          `minors of ${major.id}`,
        );
      });
      assert.equal(
        tree.find((major) => major.id === '1'),
        undefined,
        'the root stays hidden',
      );
    });

    test('a hidden major disappears with its minors; a hidden minor leaves its siblings in order', async () => {
      await setShown(['1-3', '1-1-2'], false);
      try {
        const tree = await service().tree();
        assert.deepEqual(
          tree.map((major) => major.id),
          ['1-1', '1-2', '1-4', '1-5', '1-6', '1-7', '1-8', '1-9', '1-10', '1-11', '1-12'],
        );
        const everyId = tree.flatMap((major) => [major.id, ...major.children.map((minor) => minor.id)]);
        assert.ok(!everyId.some((id) => id === '1-3' || id.startsWith('1-3-')), 'no minor of a hidden major shows');
        const first = tree[0];
        assert.deepEqual(
          first.children.map((minor) => minor.id),
          seedCategories[0].minors.map((_, j) => `1-1-${j + 1}`).filter((id) => id !== '1-1-2'),
        );
      } finally {
        await setShown(['1-3', '1-1-2'], true);
      }
      assert.equal((await service().tree()).length, 12, 'showing it again brings it back');
    });

    test('display order comes from the stored order, not from ids or insertion', async () => {
      const reorder = async (orders: Record<string, number>) => {
        const em = db.orm.em.fork();
        for (const category of await em.find(CourseCategory, { id: { $in: Object.keys(orders) } }))
          category.orderBy = orders[category.id];
        await em.flush();
      };
      await reorder({ '1-2': 3, '1-3': 2, '1-1-1': 9 });
      try {
        const tree = await service().tree();
        assert.deepEqual(
          tree.slice(0, 3).map((major) => [major.id, major.order]),
          [
            ['1-1', 1],
            ['1-3', 2],
            ['1-2', 3],
          ],
        );
        assert.equal(tree[0].children.at(-1)?.id, '1-1-1');
      } finally {
        await reorder({ '1-2': 2, '1-3': 3, '1-1-1': 1 });
      }
    });

    test('a shown minor under a hidden major stays hidden', async () => {
      await setShown(['1-5'], false);
      try {
        const minors = (await service().tree()).flatMap((major) => major.children);
        assert.ok(!minors.some((minor) => minor.id.startsWith('1-5-')));
      } finally {
        await setShown(['1-5'], true);
      }
    });

    describe('setIcon', () => {
      test('only admins may set an icon', async () => {
        await assert.rejects(service().setIcon(member, caller, '1-2', IMAGE_ID), appError('FORBIDDEN'));
        await assert.rejects(service().setIcon(auditor, caller, '1-2', IMAGE_ID), appError('FORBIDDEN'));
        await assert.rejects(service().setIcon(anonymous, caller, '1-2', IMAGE_ID), appError('UNAUTHENTICATED'));
        assert.equal(await storedIcon('1-2'), undefined, 'nothing was stored');
        assert.deepEqual(media.lookups, [], 'refused before asking the media subgraph');
      });

      test('an unknown category is NOT_FOUND', async () => {
        await assert.rejects(service().setIcon(admin, caller, '1-99', IMAGE_ID), appError('NOT_FOUND', /1-99/));
        await assert.rejects(service().setIcon(admin, caller, '', undefined), appError('NOT_FOUND'));
      });

      test('the hidden root is NOT_FOUND', async () => {
        await assert.rejects(service().setIcon(admin, caller, '1', IMAGE_ID), appError('NOT_FOUND'));
        assert.equal(await storedIcon('1'), undefined);
      });

      test('media the directory does not know is BAD_USER_INPUT', async () => {
        await assert.rejects(
          service().setIcon(admin, caller, '1-4', UNKNOWN_ID),
          appError('BAD_USER_INPUT', new RegExp(UNKNOWN_ID)),
        );
        assert.equal(await storedIcon('1-4'), undefined);
        assert.deepEqual(media.lookups, [{ id: UNKNOWN_ID, caller }], "asked once, with the caller's credentials");
      });

      test('a video or a document is BAD_USER_INPUT naming image', async () => {
        await assert.rejects(service().setIcon(admin, caller, '1-4', VIDEO_ID), appError('BAD_USER_INPUT', /image/));
        await assert.rejects(
          service().setIcon(admin, caller, '1-4-1', DOCUMENT_ID),
          appError('BAD_USER_INPUT', /image/),
        );
        assert.equal(await storedIcon('1-4'), undefined);
        assert.equal(await storedIcon('1-4-1'), undefined);
      });

      test('an image is stored, survives a reload, and is cleared by undefined', async () => {
        const node = await service().setIcon(admin, caller, '1-6', IMAGE_ID);
        assert.equal(node.id, '1-6');
        assert.equal(node.iconMediaId, IMAGE_ID);
        assert.equal(await storedIcon('1-6'), IMAGE_ID);
        assert.equal((await service().tree()).find((major) => major.id === '1-6')?.iconMediaId, IMAGE_ID);

        // Any organisation's image will do: the icon belongs to the platform, not to one organisation.
        await service().setIcon(admin, caller, '1-6-2', OTHER_IMAGE_ID);
        const minor = (await service().tree())
          .find((major) => major.id === '1-6')
          ?.children.find((m) => m.id === '1-6-2');
        assert.equal(minor?.iconMediaId, OTHER_IMAGE_ID);

        const lookupsBeforeClear = media.lookups.length;
        const cleared = await service().setIcon(admin, caller, '1-6', undefined);
        assert.equal(cleared.iconMediaId ?? undefined, undefined);
        assert.equal(await storedIcon('1-6'), undefined);
        assert.equal(media.lookups.length, lookupsBeforeClear, 'clearing needs no media lookup');
        assert.equal(await storedIcon('1-6-2'), OTHER_IMAGE_ID, 'other categories keep theirs');
      });

      test('a refused change keeps the icon already set', async () => {
        await service().setIcon(admin, caller, '1-7', IMAGE_ID);
        await assert.rejects(service().setIcon(admin, caller, '1-7', VIDEO_ID), appError('BAD_USER_INPUT'));
        await assert.rejects(service().setIcon(member, caller, '1-7', undefined), appError('FORBIDDEN'));
        assert.equal(await storedIcon('1-7'), IMAGE_ID);
      });
    });
  });
}
