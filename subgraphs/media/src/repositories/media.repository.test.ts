import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaAuditStatus, MediaFile } from '../entities/media-file.entity';
import { MediaObject, MediaType } from '../entities/media-object.entity';
import { MediaProcess } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';
import { mediaMigrations } from '../migrations/migrations';
import { mediaEntities } from '../entities/media-entities';
import { MediaProcessRepository } from './media-process.repository';
import { MediaRepository } from './media.repository';

const md5 = (seed: string) => createHash('md5').update(seed).digest('hex');

/** What `record` is given for a stored object; `seed` makes the MD5. */
const objectOf = (seed: string, type = MediaType.DOCUMENT) => {
  const fileMd5 = md5(seed);
  const extension = type === MediaType.IMAGE ? '.png' : '.pdf';
  return {
    fileMd5,
    type,
    mimeType: type === MediaType.IMAGE ? 'image/png' : 'application/pdf',
    size: 1234,
    bucket: 'mediafiles',
    objectKey: `2024/05/01/${fileMd5}${extension}`,
  };
};
const entryOf = (organisationId: string, fileName: string) => ({
  organisationId,
  fileName,
  createdBy: `user-of-${organisationId}`,
});

for (const factory of testDatabases('media repository')) {
  describe(`media repository on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });

    /** A repository over its own EntityManager, as each request gets one. */
    const repository = () => new MediaRepository(db.orm.em.fork());
    const rows = async (fileMd5: string) => {
      const em = db.orm.em.fork();
      return {
        objects: await em.count(MediaObject, { fileMd5 }),
        entries: await em.count(MediaFile, { object: fileMd5 }),
      };
    };

    test('record is idempotent per (organisation, md5): the first entry wins', async () => {
      const object = objectOf('idempotent');
      const first = await repository().record(object, { ...entryOf('org-1', 'first.pdf'), tags: 'a', remark: 'first' });
      const second = await repository().record({ ...object, size: 999 }, entryOf('org-1', 'second.pdf'));

      assert.equal(second.id, first.id);
      assert.equal(second.fileName, 'first.pdf');
      assert.equal(second.tags, 'a');
      assert.equal(second.object.size, 1234, 'the stored object is not rewritten');
      assert.deepEqual(await rows(object.fileMd5), { objects: 1, entries: 1 });

      const reloaded = await repository().entry(object.fileMd5, 'org-1');
      assert.equal(reloaded?.id, first.id);
      assert.equal(reloaded?.object.mimeType, 'application/pdf');
      assert.equal(reloaded?.remark, 'first');
    });

    test('8 concurrent records of the same bytes by one organisation end with one entry and one object', async () => {
      const object = objectOf('concurrent-same-org');
      const recorded = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          new MediaRepository(db.orm.em.fork()).record(object, entryOf('org-race', `upload-${i}.pdf`)),
        ),
      );
      assert.equal(new Set(recorded.map((entry) => entry.id)).size, 1, 'every caller gets the one entry');
      assert.ok(recorded.every((entry) => entry.object.fileMd5 === object.fileMd5));
      assert.deepEqual(await rows(object.fileMd5), { objects: 1, entries: 1 });
    });

    test('two organisations recording the same bytes concurrently share one object and get an entry each', async () => {
      const object = objectOf('concurrent-two-orgs');
      const recorded = await Promise.all(
        ['org-x', 'org-y', 'org-x', 'org-y', 'org-x', 'org-y'].map((organisationId) =>
          new MediaRepository(db.orm.em.fork()).record(object, entryOf(organisationId, `${organisationId}.pdf`)),
        ),
      );
      assert.deepEqual(new Set(recorded.map((entry) => entry.organisationId)), new Set(['org-x', 'org-y']));
      for (const organisationId of ['org-x', 'org-y']) {
        const ids = new Set(
          recorded.filter((entry) => entry.organisationId === organisationId).map((entry) => entry.id),
        );
        assert.equal(ids.size, 1, `${organisationId} callers all get one entry`);
      }
      assert.deepEqual(await rows(object.fileMd5), { objects: 1, entries: 2 });
    });

    describe('page', () => {
      const org = 'org-page';
      // Recorded in this order, so newest first is the reverse.
      const library = [
        { seed: 'p-intro', name: 'intro_video.pdf', type: MediaType.DOCUMENT },
        { seed: 'p-introx', name: 'introXvideo.pdf', type: MediaType.DOCUMENT },
        { seed: 'p-logo', name: 'logo.png', type: MediaType.IMAGE },
        { seed: 'p-percent', name: '100%完成.pdf', type: MediaType.DOCUMENT },
        { seed: 'p-hundred', name: '100 done.pdf', type: MediaType.DOCUMENT },
        { seed: 'p-banner', name: '课程 banner.png', type: MediaType.IMAGE },
        { seed: 'p-backslash', name: 'a\\b notes.pdf', type: MediaType.DOCUMENT },
        { seed: 'p-bang', name: 'wow!_final.pdf', type: MediaType.DOCUMENT },
      ];
      const newestFirst = library.map((item) => item.name).reverse();
      const names = (entries: MediaFile[]) => entries.map((entry) => entry.fileName);

      before(async () => {
        for (const item of library) await repository().record(objectOf(item.seed, item.type), entryOf(org, item.name));
        // Another organisation holds a look-alike of every name, and the same bytes as one of ours.
        for (const item of library)
          await repository().record(objectOf(`other-${item.seed}`, item.type), entryOf('org-other', item.name));
        await repository().record(objectOf('p-logo', MediaType.IMAGE), entryOf('org-other', 'their-logo.png'));
      });

      test("is scoped to the organisation, newest first, with the organisation's total", async () => {
        const [entries, total] = await repository().page({ organisationId: org }, 0, 100);
        assert.deepEqual(names(entries), newestFirst);
        assert.equal(total, library.length);
        assert.ok(entries.every((entry) => entry.organisationId === org));
        assert.ok(
          entries.every((entry) => entry.object.fileMd5.length === 32),
          'the stored object is loaded with the entry',
        );

        const [none, noTotal] = await repository().page({ organisationId: 'org-nobody' }, 0, 100);
        assert.deepEqual(none, []);
        assert.equal(noTotal, 0);
      });

      test('offset and limit pick a window and the total still counts every match', async () => {
        const [window, total] = await repository().page({ organisationId: org }, 2, 3);
        assert.deepEqual(names(window), newestFirst.slice(2, 5));
        assert.equal(total, library.length);

        const [tail, tailTotal] = await repository().page({ organisationId: org }, 6, 3);
        assert.deepEqual(names(tail), newestFirst.slice(6));
        assert.equal(tailTotal, library.length);

        const [beyond, beyondTotal] = await repository().page({ organisationId: org }, 50, 3);
        assert.deepEqual(beyond, []);
        assert.equal(beyondTotal, library.length);
      });

      test('filters by a substring of the name', async () => {
        const [entries, total] = await repository().page({ organisationId: org, name: 'video' }, 0, 100);
        assert.deepEqual(names(entries), ['introXvideo.pdf', 'intro_video.pdf']);
        assert.equal(total, 2);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: '课程' }, 0, 100))[0]), [
          '课程 banner.png',
        ]);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: 'done' }, 0, 100))[0]), [
          '100 done.pdf',
        ]);
      });

      test('the name filter ignores case on every backend', async () => {
        assert.deepEqual(names((await repository().page({ organisationId: org, name: 'LOGO' }, 0, 100))[0]), [
          'logo.png',
        ]);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: 'xVIDEO' }, 0, 100))[0]), [
          'introXvideo.pdf',
        ]);
      });

      test('% and _ in the name filter match only themselves', async () => {
        const [percent, percentTotal] = await repository().page({ organisationId: org, name: '%' }, 0, 100);
        assert.deepEqual(names(percent), ['100%完成.pdf']);
        assert.equal(percentTotal, 1);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: '100%' }, 0, 100))[0]), [
          '100%完成.pdf',
        ]);

        const [underscore, underscoreTotal] = await repository().page({ organisationId: org, name: 'o_v' }, 0, 100);
        assert.deepEqual(names(underscore), ['intro_video.pdf'], '"_" is not a one-character wildcard');
        assert.equal(underscoreTotal, 1);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: '_' }, 0, 100))[0]), [
          'wow!_final.pdf',
          'intro_video.pdf',
        ]);
      });

      test('a backslash or ! in the name filter matches only itself', async () => {
        assert.deepEqual(names((await repository().page({ organisationId: org, name: 'a\\b' }, 0, 100))[0]), [
          'a\\b notes.pdf',
        ]);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: '\\' }, 0, 100))[0]), [
          'a\\b notes.pdf',
        ]);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: '!' }, 0, 100))[0]), [
          'wow!_final.pdf',
        ]);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: '!_' }, 0, 100))[0]), [
          'wow!_final.pdf',
        ]);
        assert.deepEqual(names((await repository().page({ organisationId: org, name: 'w!%' }, 0, 100))[0]), []);
      });

      test('filters by type, alone and with a name', async () => {
        const [images, total] = await repository().page({ organisationId: org, type: MediaType.IMAGE }, 0, 100);
        assert.deepEqual(names(images), ['课程 banner.png', 'logo.png']);
        assert.equal(total, 2);
        assert.ok(images.every((entry) => entry.object.type === MediaType.IMAGE));

        const [documents, documentTotal] = await repository().page(
          { organisationId: org, type: MediaType.DOCUMENT, name: 'pdf' },
          1,
          2,
        );
        assert.deepEqual(names(documents), newestFirst.filter((name) => name.endsWith('.pdf')).slice(1, 3));
        assert.equal(documentTotal, 6);

        const [videos, videoTotal] = await repository().page({ organisationId: org, type: MediaType.VIDEO }, 0, 100);
        assert.deepEqual(videos, []);
        assert.equal(videoTotal, 0);
      });
    });

    test('entriesOf returns the entries of several files in one call, earliest first', async () => {
      const a = objectOf('bulk-a');
      const b = objectOf('bulk-b', MediaType.IMAGE);
      const c = objectOf('bulk-c');
      await repository().record(a, entryOf('org-bulk-1', 'a.pdf'));
      await repository().record(b, entryOf('org-bulk-1', 'b.png'));
      await repository().record(a, entryOf('org-bulk-2', 'a-too.pdf'));
      await repository().record(c, entryOf('org-bulk-2', 'c.pdf'));

      const entries = await repository().entriesOf([a.fileMd5, b.fileMd5, md5('never-recorded'), c.fileMd5]);
      assert.deepEqual(
        entries.map((entry) => [entry.object.fileMd5, entry.organisationId, entry.fileName]),
        [
          [a.fileMd5, 'org-bulk-1', 'a.pdf'],
          [b.fileMd5, 'org-bulk-1', 'b.png'],
          [a.fileMd5, 'org-bulk-2', 'a-too.pdf'],
          [c.fileMd5, 'org-bulk-2', 'c.pdf'],
        ],
      );
      assert.equal(entries[1]?.object.type, MediaType.IMAGE, 'objects come loaded');
      assert.deepEqual(await repository().entriesOf([]), []);
      assert.deepEqual(await repository().entriesOf([md5('never-recorded')]), []);
    });

    test('entry without an organisation is the earliest entry; object finds the stored file', async () => {
      const object = objectOf('earliest');
      await repository().record(object, entryOf('org-early', 'early.pdf'));
      await repository().record(object, entryOf('org-late', 'late.pdf'));
      assert.equal((await repository().entry(object.fileMd5))?.organisationId, 'org-early');
      assert.equal((await repository().entry(object.fileMd5, 'org-late'))?.fileName, 'late.pdf');
      assert.equal(await repository().entry(object.fileMd5, 'org-none'), null);

      const stored = await repository().object(object.fileMd5);
      assert.equal(stored?.objectKey, object.objectKey);
      assert.equal(stored?.size, 1234);
      assert.equal(await repository().object(md5('no-such-object')), null);
    });
    describe('page by audit status and creation time', () => {
      const org = 'org-dates';
      // Whole seconds, because MariaDB's DATETIME keeps no fractions.
      const at = (iso: string) => new Date(iso);
      const library = [
        {
          seed: 'd-feb',
          name: 'feb.pdf',
          createdAt: at('2024-02-29T23:59:59Z'),
          auditStatus: MediaAuditStatus.APPROVED,
        },
        {
          seed: 'd-mar1',
          name: 'mar-1.pdf',
          createdAt: at('2024-03-01T00:00:00Z'),
          auditStatus: MediaAuditStatus.PENDING,
        },
        {
          seed: 'd-mar15',
          name: 'mar-15.pdf',
          createdAt: at('2024-03-15T12:00:00Z'),
          auditStatus: MediaAuditStatus.REJECTED,
        },
        {
          seed: 'd-apr1',
          name: 'apr-1.pdf',
          createdAt: at('2024-04-01T00:00:00Z'),
          auditStatus: MediaAuditStatus.APPROVED,
        },
      ];
      const names = async (filter: Omit<Parameters<MediaRepository['page']>[0], 'organisationId'>) => {
        const [entries, total] = await repository().page({ organisationId: org, ...filter }, 0, 100);
        assert.equal(total, entries.length);
        return entries.map((entry) => entry.fileName);
      };

      before(async () => {
        for (const item of library) {
          const entry = await repository().record(objectOf(item.seed), entryOf(org, item.name));
          await db.orm.em
            .fork()
            .nativeUpdate(MediaFile, { id: entry.id }, { createdAt: item.createdAt, auditStatus: item.auditStatus });
        }
        await repository().record(objectOf('d-other'), entryOf('org-other-dates', 'mar-other.pdf'));
      });

      test('from is inclusive and to is exclusive', async () => {
        assert.deepEqual(
          await names({ createdFrom: at('2024-03-01T00:00:00Z'), createdTo: at('2024-04-01T00:00:00Z') }),
          ['mar-15.pdf', 'mar-1.pdf'],
        );
        assert.deepEqual(await names({ createdFrom: at('2024-03-01T00:00:01Z') }), ['apr-1.pdf', 'mar-15.pdf']);
        assert.deepEqual(await names({ createdTo: at('2024-03-01T00:00:00Z') }), ['feb.pdf']);
        assert.deepEqual(await names({ createdTo: at('2024-03-01T00:00:01Z') }), ['mar-1.pdf', 'feb.pdf']);
        assert.deepEqual(await names({ createdFrom: at('2025-01-01T00:00:00Z') }), []);
      });

      test('filters by audit status, alone and with a time range and a name', async () => {
        assert.deepEqual(await names({ auditStatus: MediaAuditStatus.APPROVED }), ['apr-1.pdf', 'feb.pdf']);
        assert.deepEqual(await names({ auditStatus: MediaAuditStatus.REJECTED }), ['mar-15.pdf']);
        assert.deepEqual(
          await names({ auditStatus: MediaAuditStatus.APPROVED, createdFrom: at('2024-03-01T00:00:00Z') }),
          ['apr-1.pdf'],
        );
        assert.deepEqual(
          await names({ auditStatus: MediaAuditStatus.PENDING, name: 'MAR', createdTo: at('2024-03-02T00:00:00Z') }),
          ['mar-1.pdf'],
        );
        assert.deepEqual(await names({ auditStatus: MediaAuditStatus.PENDING, name: 'apr' }), []);
      });
    });

    describe('removeEntry', () => {
      const processRows = (fileMd5: string) => db.orm.em.fork().count(MediaProcess, { fileMd5 });

      test("removes only the organisation's entry while another organisation holds the object", async () => {
        const object = objectOf('remove-shared');
        await repository().record(object, entryOf('org-r1', 'mine.pdf'));
        await repository().record(object, entryOf('org-r2', 'theirs.pdf'));
        assert.deepEqual(await repository().removeEntry(object.fileMd5, 'org-r1'), {});
        assert.deepEqual(await rows(object.fileMd5), { objects: 1, entries: 1 });
        assert.equal((await repository().entry(object.fileMd5))?.organisationId, 'org-r2');
      });

      test('the last entry takes the object row and its transcoding task with it, and hands back the object', async () => {
        const object = { ...objectOf('remove-last'), type: MediaType.VIDEO, bucket: 'video' };
        await repository().record(object, entryOf('org-r1', 'talk.avi'));
        await new MediaProcessRepository(db.orm.em.fork()).enqueue(object);
        const removed = await repository().removeEntry(object.fileMd5, 'org-r1');
        assert.equal(removed?.released?.fileMd5, object.fileMd5);
        assert.equal(removed?.released?.objectKey, object.objectKey);
        assert.equal(removed?.released?.type, MediaType.VIDEO);
        assert.deepEqual(await rows(object.fileMd5), { objects: 0, entries: 0 });
        assert.equal(await processRows(object.fileMd5), 0);
      });

      test('another organisation, an unknown file or a second removal find nothing and change nothing', async () => {
        const object = objectOf('remove-missing');
        await repository().record(object, entryOf('org-r1', 'kept.pdf'));
        assert.equal(await repository().removeEntry(object.fileMd5, 'org-r2'), undefined);
        assert.equal(await repository().removeEntry(md5('never-stored'), 'org-r1'), undefined);
        assert.deepEqual(await rows(object.fileMd5), { objects: 1, entries: 1 });
        assert.ok((await repository().removeEntry(object.fileMd5, 'org-r1'))?.released);
        assert.equal(await repository().removeEntry(object.fileMd5, 'org-r1'), undefined);
      });

      test('two organisations removing the last two entries at once: exactly one releases the object, no row is left', async () => {
        for (let round = 0; round < 5; round++) {
          const object = objectOf(`remove-race-${round}`);
          await repository().record(object, entryOf('org-a', 'a.pdf'));
          await repository().record(object, entryOf('org-b', 'b.pdf'));
          await new MediaProcessRepository(db.orm.em.fork()).enqueue(object);
          const removed = await Promise.all(
            ['org-a', 'org-b'].map((organisationId) => repository().removeEntry(object.fileMd5, organisationId)),
          );
          assert.ok(
            removed.every((result) => result !== undefined),
            'both entries were removed',
          );
          assert.equal(
            removed.filter((result) => result?.released).length,
            1,
            `round ${round}: one removal releases the object`,
          );
          assert.deepEqual(await rows(object.fileMd5), { objects: 0, entries: 0 });
          assert.equal(await processRows(object.fileMd5), 0);
        }
      });
    });

    test("transcodes: the state of each file that has or had a task, and a running one's progress", async () => {
      const waiting = objectOf('states-waiting');
      const running = objectOf('states-running');
      const done = objectOf('states-done');
      const processes = new MediaProcessRepository(db.orm.em.fork());
      for (const object of [waiting, running, done]) await processes.enqueue(object);
      const em = db.orm.em.fork();
      await em.nativeUpdate(
        MediaProcess,
        { fileMd5: running.fileMd5 },
        { state: TaskState.PROCESSING, attempts: 1, progress: 40 },
      );
      // Succeeded tasks leave the live table for the history.
      const finished = await em.findOneOrFail(MediaProcess, { fileMd5: done.fileMd5 });
      em.create(MediaProcessHistory, {
        ...done,
        id: finished.id,
        attempts: 1,
        finishedBy: 'worker-1',
        finishedAtMs: Date.now(),
        createdAt: finished.createdAt,
      });
      await em.flush();
      await em.nativeDelete(MediaProcess, { fileMd5: done.fileMd5 });

      const found = await repository().transcodes([waiting.fileMd5, running.fileMd5, done.fileMd5, md5('no-task')]);
      assert.deepEqual(
        new Map(found),
        new Map([
          [waiting.fileMd5, { state: TaskState.PENDING, progress: undefined }],
          [running.fileMd5, { state: TaskState.PROCESSING, progress: 40 }],
          [done.fileMd5, { state: TaskState.SUCCEEDED }],
        ]),
      );
      assert.deepEqual(await repository().transcodes([]), new Map());
    });
  });
}
