import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import type { Viewer } from '@learnhub/platform/auth';
import { anonymous } from '@learnhub/platform/auth';
import { openDatabase } from '@learnhub/platform/database';
import { AppError, type ErrorCode } from '@learnhub/platform/errors';
import type { Logger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import type { ObjectStore } from '@learnhub/platform/object-store';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaFile } from '../entities/media-file.entity';
import { MediaObject, MediaType } from '../entities/media-object.entity';
import { MediaProcess } from '../entities/media-process.entity';
import { mediaMigrations } from '../migrations/migrations';
import { MediaProcessRepository } from '../repositories/media-process.repository';
import { MediaRepository } from '../repositories/media.repository';
import { mediaEntities } from '../entities/media-entities';
import { FileUrlSigner } from '@learnhub/platform/object-store';
import { HttpCourseUsage } from '../client/http-course-usage';
import { CoursePublicationRepository } from '../repositories/course-publication.repository';
import { startContentUsageStandIn } from '../testing/content-usage-stand-in';
import { cleanFileName, MediaService, type MediaSettings } from './media.service';
import { TranscodeState } from '../rules/playability';

/** `media` with its URLs' signatures (and the expiry they sign) left out. */
const unsigned = <T extends { url: string; posterUrl?: string | null }>(media: T): T => ({
  ...media,
  url: media.url.split('?')[0],
  posterUrl: media.posterUrl?.split('?')[0] ?? media.posterUrl,
});

/** Passes when `error` is an AppError with `code` (and `reason`, when given). */
const appError =
  (code: ErrorCode, reason?: string) =>
  (error: unknown): true => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (reason !== undefined) assert.equal(error.details.reason, reason, error.message);
    return true;
  };

describe('cleanFileName', () => {
  test('keeps only the last path segment, for / and \\ alike', () => {
    assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
    assert.equal(cleanFileName('a\\b.pdf'), 'b.pdf');
    assert.equal(cleanFileName('C:\\Users\\me\\Desktop\\lesson 1.pdf'), 'lesson 1.pdf');
    assert.equal(cleanFileName('/abs/path/to/notes.txt'), 'notes.txt');
  });

  test('drops control characters and surrounding spaces, keeps readable Unicode', () => {
    assert.equal(cleanFileName('le\u0000ss\u001fon\u007f.pdf'), 'lesson.pdf');
    assert.equal(cleanFileName('line\r\nbreak.txt'), 'linebreak.txt');
    assert.equal(cleanFileName('  第一章 微服务.pdf  '), '第一章 微服务.pdf');
  });

  test('refuses names with nothing left', () => {
    for (const raw of ['', '   ', '.', '..', '../..', 'folder/', 'a\\..', '\u0000\u0001\u007f']) {
      assert.throws(() => cleanFileName(raw), appError('BAD_USER_INPUT'), JSON.stringify(raw));
    }
  });

  test('refuses names over 255 characters', () => {
    assert.equal(cleanFileName(`${'x'.repeat(251)}.pdf`).length, 255);
    assert.throws(() => cleanFileName(`${'x'.repeat(252)}.pdf`), appError('BAD_USER_INPUT'));
  });
});

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const utcDay = () => new Date().toISOString().slice(0, 10).replaceAll('-', '/');

/** A complete 1×1 PNG. */
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const pdf = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);
const mp4 = Buffer.concat([
  Buffer.from([0, 0, 0, 0x20]),
  Buffer.from('ftypisom\0\0\x02\0isomiso2avc1mp41', 'latin1'),
  Buffer.alloc(64, 0x11),
]);
const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0', 'latin1'), Buffer.alloc(120, 0)]);

const SIGNING_SECRET = 'media-service-test-url-secret-of-32-chars';
const memberA: Viewer = { userId: 'u-a', roles: ['member'], organisationId: 'org-a' };
const memberB: Viewer = { userId: 'u-b', roles: ['member'], organisationId: 'org-b' };
const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };
const admin: Viewer = { userId: 'u-admin', roles: ['admin'] };
const page = { offset: 0, limit: 10, page: 1, size: 10 };

/** A logger that keeps what was logged as errors. */
function recordingLogger(): { log: Logger; errors: unknown[][] } {
  const errors: unknown[][] = [];
  return { log: { error: (...args: unknown[]) => errors.push(args) } as unknown as Logger, errors };
}

describe('MediaService with a local object store on sqlite', () => {
  const uploadMaxBytes = 64 * 1024;
  let dir: string;
  let orm: MikroORM;
  let store: LocalObjectStore;
  let settings: MediaSettings;
  let content: Awaited<ReturnType<typeof startContentUsageStandIn>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-media-service-'));
    orm = await openDatabase({
      url: `sqlite:${join(dir, 'media.sqlite')}`,
      entities: mediaEntities,
      migrations: mediaMigrations,
    });
    store = new LocalObjectStore({
      root: join(dir, 'objects'),
      publicUrl: 'http://files.test/files/',
      urlSecret: SIGNING_SECRET,
    });
    settings = { tempDir: join(dir, 'upload-tmp'), uploadMaxBytes };
    content = await startContentUsageStandIn();
  });
  after(async () => {
    await content?.close();
    await orm?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A service bound to a fresh EntityManager, as one request gets it. */
  const service = () =>
    new MediaService(
      new MediaRepository(orm.em.fork()),
      store,
      settings,
      new HttpCourseUsage(content.contentUrl, undefined),
    );
  const file = (fileName: string, data: Buffer | Buffer[]) => ({
    fileName,
    stream: Readable.from(Array.isArray(data) ? data : [data]),
  });
  const rows = async (fileMd5: string) => {
    const em = orm.em.fork();
    return {
      objects: await em.count(MediaObject, { fileMd5 }),
      entries: await em.count(MediaFile, { object: fileMd5 }),
    };
  };
  const storedKeys = async () =>
    [...(await store.list('mediafiles', '')), ...(await store.list('video', ''))].map((o) => `${o.bucket}/${o.key}`);
  const tempFiles = () => readdir(settings.tempDir).catch(() => [] as string[]);

  /** Runs a refused upload and checks it left no row, no stored object and no temp file. */
  async function assertRefusedCleanly(data: Buffer | Buffer[], fileName: string, code: ErrorCode, reason?: string) {
    const keysBefore = await storedKeys();
    await assert.rejects(service().upload(memberA, file(fileName, data), {}), appError(code, reason));
    const hash = md5(Buffer.concat(Array.isArray(data) ? data : [data]));
    assert.deepEqual(await rows(hash), { objects: 0, entries: 0 });
    assert.deepEqual(await storedKeys(), keysBefore, 'no object was stored');
    assert.deepEqual(await tempFiles(), [], 'the temp folder is empty');
  }

  test('a small PNG is stored under mediafiles/yyyy/MM/dd/<md5>.png and described', async () => {
    const dayBefore = utcDay();
    const view = await service().upload(memberA, file('../logo.png', png), { tags: 'logo', remark: '站点图标' });
    const dayAfter = utcDay();
    const hash = md5(png);

    assert.equal(view.id, hash);
    assert.equal(view.fileMd5, hash);
    assert.equal(view.fileName, 'logo.png');
    assert.equal(view.type, MediaType.IMAGE);
    assert.equal(view.mimeType, 'image/png');
    assert.equal(view.size, png.length);
    assert.equal(view.organisationId, 'org-a');
    assert.equal(view.createdBy, 'u-a');
    assert.equal(view.tags, 'logo');
    assert.equal(view.remark, '站点图标');

    const object = await new MediaRepository(orm.em.fork()).object(hash);
    assert.ok(object);
    assert.equal(object.bucket, 'mediafiles');
    assert.ok([`${dayBefore}/${hash}.png`, `${dayAfter}/${hash}.png`].includes(object.objectKey), object.objectKey);
    assert.match(object.objectKey, /^\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{32}\.png$/);
    const url = new URL(view.url);
    assert.equal(`${url.origin}${url.pathname}`, `http://files.test/files/mediafiles/${object.objectKey}`);
    assert.equal(
      new FileUrlSigner(SIGNING_SECRET).check(
        'mediafiles',
        object.objectKey,
        url.searchParams.get('expires'),
        url.searchParams.get('signature'),
      ).valid,
      true,
      'an unpublished item gets a signed URL',
    );

    const stored = await store.stat('mediafiles', object.objectKey);
    assert.equal(stored?.size, png.length);
    assert.equal(stored?.contentType, 'image/png');
    const body = await store.get('mediafiles', object.objectKey);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), png);
    assert.deepEqual(await tempFiles(), [], 'the spooled temp file is gone');
  });

  test('the same bytes uploaded again by the same organisation return the same entry', async () => {
    const first = await service().upload(memberA, file('guide.pdf', pdf), {});
    const again = await service().upload(memberA, file('guide-copy.pdf', [pdf.subarray(0, 10), pdf.subarray(10)]), {
      tags: 'other',
    });
    // Signed URLs carry their expiry, which moves on with the clock between the two answers.
    assert.deepEqual(unsigned(again), unsigned(first));
    assert.equal(again.fileName, 'guide.pdf');
    assert.deepEqual(await rows(first.fileMd5), { objects: 1, entries: 1 });
  });

  test('another organisation gets its own entry over the same stored object', async () => {
    const mine = await service().upload(memberA, file('shared.pdf', Buffer.concat([pdf, Buffer.from('% a\n')])), {});
    const theirs = await service().upload(memberB, file('ours.pdf', Buffer.concat([pdf, Buffer.from('% a\n')])), {});
    assert.equal(theirs.id, mine.id);
    assert.equal(theirs.organisationId, 'org-b');
    assert.equal(theirs.fileName, 'ours.pdf');
    assert.equal(theirs.createdBy, 'u-b');
    assert.equal(unsigned(theirs).url, unsigned(mine).url, 'both entries point at one stored object');
    assert.deepEqual(await rows(mine.fileMd5), { objects: 1, entries: 2 });
    assert.equal((await storedKeys()).filter((key) => key.includes(mine.fileMd5)).length, 1);
  });

  test('a video is refused with USE_CHUNKED_UPLOAD and leaves nothing behind', async () => {
    await assertRefusedCleanly(mp4, 'lecture.mp4', 'BAD_USER_INPUT', 'USE_CHUNKED_UPLOAD');
    await assertRefusedCleanly(mp4, 'renamed.pdf', 'BAD_USER_INPUT', 'USE_CHUNKED_UPLOAD');
  });

  test('unknown binary data is refused with UNSUPPORTED_FILE_TYPE and leaves nothing behind', async () => {
    await assertRefusedCleanly(elf, 'setup.pdf', 'BAD_USER_INPUT', 'UNSUPPORTED_FILE_TYPE');
  });

  test('an empty file is refused and leaves nothing behind', async () => {
    await assertRefusedCleanly(Buffer.alloc(0), 'empty.txt', 'BAD_USER_INPUT');
  });

  test('a file over uploadMaxBytes is refused with PAYLOAD_TOO_LARGE and leaves nothing behind', async () => {
    const chunk = Buffer.from('学习笔记 notes\n'.repeat(1024));
    const chunks = Array.from({ length: Math.ceil((uploadMaxBytes * 2) / chunk.length) }, () => chunk);
    assert.ok(chunks.length * chunk.length > uploadMaxBytes);
    await assertRefusedCleanly(chunks, 'big.txt', 'PAYLOAD_TOO_LARGE');
  });

  test('a file of exactly uploadMaxBytes is accepted', async () => {
    const data = Buffer.alloc(uploadMaxBytes, 'a');
    const view = await service().upload(memberA, file('limit.txt', data), {});
    assert.equal(view.size, uploadMaxBytes);
    assert.equal(view.mimeType, 'text/plain');
  });

  test('only signed-in members and admins with an organisation may upload', async () => {
    const data = Buffer.from('who may upload?\n');
    await assert.rejects(service().upload(anonymous, file('a.txt', data), {}), appError('UNAUTHENTICATED'));
    await assert.rejects(service().upload(auditor, file('a.txt', data), {}), appError('FORBIDDEN'));
    await assert.rejects(
      service().upload(admin, file('a.txt', data), {}),
      appError('FORBIDDEN'),
      'an admin without an organisation has no library',
    );
    await assert.rejects(service().upload(memberA, file('..', data), {}), appError('BAD_USER_INPUT'));
    assert.deepEqual(await rows(md5(data)), { objects: 0, entries: 0 });
  });

  test('get: own organisation and staff see an item; other organisations and bad ids do not', async () => {
    const data = Buffer.from('org-a private notes\n');
    const uploaded = await service().upload(memberA, file('private.txt', data), {});

    assert.equal((await service().get(memberA, uploaded.id))?.fileName, 'private.txt');
    assert.equal(await service().get(memberB, uploaded.id), undefined, 'another organisation never sees it');
    assert.equal(
      await service().get({ userId: 'u-x', roles: ['member'] }, uploaded.id),
      undefined,
      'nor a member of no organisation',
    );
    const audited = await service().get(auditor, uploaded.id);
    assert.equal(audited?.organisationId, 'org-a');
    assert.equal(audited?.fileName, 'private.txt');
    assert.equal((await service().get(admin, uploaded.id))?.organisationId, 'org-a');

    assert.equal(await service().get(memberA, md5(Buffer.from('never uploaded'))), undefined);
    assert.equal(await service().get(memberA, 'not-an-md5'), undefined);
    assert.equal(await service().get(memberA, uploaded.id.toUpperCase()), undefined);
    await assert.rejects(service().get(anonymous, uploaded.id), appError('UNAUTHENTICATED'));
  });

  test("list requires an organisation and shows only the viewer's organisation's items", async () => {
    await assert.rejects(
      service().list(anonymous, {}, { offset: 0, limit: 10, page: 1, size: 10 }),
      appError('UNAUTHENTICATED'),
    );
    await assert.rejects(
      service().list(auditor, {}, { offset: 0, limit: 10, page: 1, size: 10 }),
      appError('FORBIDDEN'),
    );
    await assert.rejects(
      service().list({ userId: 'u-x', roles: ['member'] }, {}, { offset: 0, limit: 10, page: 1, size: 10 }),
      appError('FORBIDDEN'),
    );

    const viewer: Viewer = { userId: 'u-c', roles: ['member'], organisationId: 'org-list' };
    await service().upload(viewer, file('one.txt', Buffer.from('list one\n')), {});
    await service().upload(viewer, file('two.png', Buffer.concat([png, Buffer.from('two')])), {});
    const all = await service().list(viewer, {}, { offset: 0, limit: 10, page: 1, size: 10 });
    assert.equal(all.total, 2);
    assert.deepEqual(
      all.items.map((i) => i.fileName),
      ['two.png', 'one.txt'],
    );
    assert.ok(all.items.every((i) => i.organisationId === 'org-list'));

    const images = await service().list(
      viewer,
      { type: MediaType.IMAGE, name: '  two ' },
      { offset: 0, limit: 10, page: 1, size: 10 },
    );
    assert.deepEqual(
      images.items.map((i) => i.fileName),
      ['two.png'],
    );
    assert.equal(images.total, 1);
  });

  test("delete: members only, and only their own organisation's entries", async () => {
    const data = Buffer.from('delete me, org-a\n');
    const uploaded = await service().upload(memberA, file('mine.txt', data), {});
    const { log, errors } = recordingLogger();

    await assert.rejects(service().delete(anonymous, uploaded.id, log), appError('UNAUTHENTICATED'));
    await assert.rejects(service().delete(auditor, uploaded.id, log), appError('FORBIDDEN'));
    await assert.rejects(
      service().delete({ ...admin, organisationId: 'org-a' }, uploaded.id, log),
      appError('FORBIDDEN'),
    );
    await assert.rejects(
      service().delete({ userId: 'u-x', roles: ['member'] }, uploaded.id, log),
      appError('FORBIDDEN'),
    );
    await assert.rejects(service().delete(memberB, uploaded.id, log), appError('NOT_FOUND'));
    await assert.rejects(service().delete(memberA, md5(Buffer.from('never uploaded')), log), appError('NOT_FOUND'));
    await assert.rejects(service().delete(memberA, 'not-an-md5', log), appError('NOT_FOUND'));
    assert.deepEqual(await rows(uploaded.id), { objects: 1, entries: 1 });
    assert.deepEqual(errors, []);
  });

  test('delete: the bytes stay while another organisation holds them and go with the last entry', async () => {
    const data = Buffer.from('shared, then deleted\n');
    const mine = await service().upload(memberA, file('shared.txt', data), {});
    await service().upload(memberB, file('shared-too.txt', data), {});
    const object = await new MediaRepository(orm.em.fork()).object(mine.id);
    assert.ok(object);
    const { log, errors } = recordingLogger();

    assert.equal(await service().delete(memberA, mine.id, log), true);
    assert.equal(await service().get(memberA, mine.id), undefined);
    assert.ok(await store.stat(object.bucket, object.objectKey), 'org-b still holds the bytes');
    assert.equal((await service().get(memberB, mine.id))?.fileName, 'shared-too.txt');

    assert.equal(await service().delete(memberB, mine.id, log), true);
    assert.deepEqual(await rows(mine.id), { objects: 0, entries: 0 });
    assert.equal(await store.stat(object.bucket, object.objectKey), undefined);
    await assert.rejects(service().delete(memberB, mine.id, log), appError('NOT_FOUND'));
    assert.deepEqual(errors, []);
  });

  test("delete: a video's whole folder goes, transcoded MP4 included, with its transcoding task", async () => {
    const fileMd5 = md5(Buffer.from('a video recorded by hand'));
    const folder = `${fileMd5[0]}${fileMd5[1]}/${fileMd5[2]}${fileMd5[3]}/${fileMd5}/`;
    const video = {
      fileMd5,
      type: MediaType.VIDEO,
      mimeType: 'video/x-msvideo',
      size: 3,
      bucket: 'video',
      objectKey: `${folder}${fileMd5}.avi`,
    };
    await store.put('video', video.objectKey, Buffer.from('avi'));
    await store.put('video', `${folder}${fileMd5}.mp4`, Buffer.from('mp4'));
    await store.put('video', `${folder.slice(0, 6)}neighbour/kept.avi`, Buffer.from('other'));
    await new MediaRepository(orm.em.fork()).record(video, {
      organisationId: 'org-a',
      fileName: 'talk.avi',
      createdBy: 'u-a',
    });
    await new MediaProcessRepository(orm.em.fork()).enqueue(video);

    await service().delete(memberA, fileMd5, recordingLogger().log);
    assert.deepEqual(await store.list('video', folder), []);
    assert.deepEqual(
      (await store.list('video', folder.slice(0, 6))).map((o) => o.key),
      [`${folder.slice(0, 6)}neighbour/kept.avi`],
    );
    assert.equal(await orm.em.fork().count(MediaProcess, { fileMd5 }), 0);
    await store.delete('video', `${folder.slice(0, 6)}neighbour/kept.avi`);
  });

  test('delete: bytes that cannot be deleted are logged, and the rows stay deleted', async () => {
    const data = Buffer.from('the store refuses to delete this\n');
    const uploaded = await service().upload(memberA, file('stuck.txt', data), {});
    const failing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      delete: async () => {
        throw new Error('disk on fire');
      },
    });
    const { log, errors } = recordingLogger();
    assert.equal(
      await new MediaService(
        new MediaRepository(orm.em.fork()),
        failing,
        settings,
        new HttpCourseUsage(content.contentUrl, undefined),
      ).delete(memberA, uploaded.id, log),
      true,
    );
    assert.deepEqual(await rows(uploaded.id), { objects: 0, entries: 0 });
    assert.equal(errors.length, 1);
    const [fields, message] = errors[0] as [{ err: Error; bucket: string }, string];
    assert.equal(fields.err.message, 'disk on fire');
    assert.equal(fields.bucket, 'mediafiles');
    assert.match(
      message,
      new RegExp(`Media ${uploaded.id} is deleted, but its stored bytes could not be: delete mediafiles/.+ by hand`),
    );
  });

  test('list refuses a creation range that ends before it starts', async () => {
    const at = new Date('2024-03-01T00:00:00Z');
    await assert.rejects(service().list(memberA, { createdFrom: at, createdTo: at }, page), appError('BAD_USER_INPUT'));
    await assert.rejects(
      service().list(memberA, { createdFrom: at, createdTo: new Date('2024-02-01T00:00:00Z') }, page),
      appError('BAD_USER_INPUT'),
    );
    assert.equal((await service().list(memberA, { createdFrom: new Date('2999-01-01T00:00:00Z') }, page)).total, 0);
  });

  test('transcodes: NONE without a task, else the task state, and progress while it runs, for any id', async () => {
    const waiting = md5(Buffer.from('waiting video'));
    await new MediaProcessRepository(orm.em.fork()).enqueue({
      fileMd5: waiting,
      bucket: 'video',
      objectKey: 'w/a/waiting.avi',
    });
    const found = await service().transcodes([waiting, md5(Buffer.from('no task')), 'not-an-md5']);
    assert.deepEqual(
      [...found],
      [
        [waiting, { state: TranscodeState.PENDING, progress: undefined }],
        [md5(Buffer.from('no task')), { state: TranscodeState.NONE, progress: undefined }],
        ['not-an-md5', { state: TranscodeState.NONE, progress: undefined }],
      ],
    );
    await orm.em.fork().nativeUpdate(MediaProcess, { fileMd5: waiting }, { state: TaskState.PROCESSING, progress: 55 });
    assert.deepEqual((await service().transcodes([waiting])).get(waiting), {
      state: TranscodeState.PROCESSING,
      progress: 55,
    });
    await orm.em.fork().nativeUpdate(MediaProcess, { fileMd5: waiting }, { state: TaskState.FAILED, progress: null });
    assert.deepEqual((await service().transcodes([waiting])).get(waiting), {
      state: TranscodeState.FAILED,
      progress: undefined,
    });
  });
});

for (const factory of testDatabases('media service deletes')) {
  describe(`MediaService deletes on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });
    let dir: string;
    let store: LocalObjectStore;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lh-media-delete-'));
      store = new LocalObjectStore({
        root: join(dir, 'objects'),
        publicUrl: 'http://files.test/files/',
        urlSecret: SIGNING_SECRET,
      });
      content = await startContentUsageStandIn();
    });
    after(async () => {
      await content?.close();
      await rm(dir, { recursive: true, force: true });
    });
    let content: Awaited<ReturnType<typeof startContentUsageStandIn>>;

    const service = () =>
      new MediaService(
        new MediaRepository(db.orm.em.fork()),
        store,
        { tempDir: join(dir, 'tmp'), uploadMaxBytes: 1024 },
        new HttpCourseUsage(content.contentUrl, undefined),
      );

    test('a course publication makes its page and every key of its media public; the newest version wins, also when reports race', async () => {
      const publications = () => new CoursePublicationRepository(db.orm.em.fork());
      const data = Buffer.from(`published notes on ${factory.kind}\n`);
      const item = await service().upload(memberA, { fileName: 'notes.txt', stream: Readable.from([data]) }, {});
      const { bucket, objectKey } = (await new MediaRepository(db.orm.em.fork()).object(item.id))!;
      await db.orm.em
        .fork()
        .nativeUpdate(
          MediaObject,
          { fileMd5: item.id },
          { playbackKey: `${objectKey}.mp4`, posterKey: `${objectKey}.jpg` },
        );
      const page = { bucket: 'course-pages', key: 'courses/41/index.html' };
      const keys = [objectKey, `${objectKey}.mp4`, `${objectKey}.jpg`];
      const publicKeys = async () => Promise.all(keys.map((key) => publications().isPublic(bucket, key)));
      assert.deepEqual(await publicKeys(), [false, false, false]);
      assert.equal(await publications().isPublic(page.bucket, page.key), false);
      assert.ok(new URL((await service().get(memberA, item.id))!.url).searchParams.get('signature'));

      assert.equal(
        await publications().apply({
          courseId: '41',
          version: 2,
          organisationId: 'org-a',
          page,
          publicMediaIds: [item.id, item.id],
        }),
        'applied',
      );
      assert.deepEqual(await publicKeys(), [true, true, true]);
      assert.equal(await publications().isPublic(page.bucket, page.key), true);
      assert.equal(await publications().isPublic(bucket, `${objectKey}.other`), false);
      assert.equal(await publications().isPublic('video', objectKey), false, 'the bucket is part of the match');
      const view = (await service().get(memberA, item.id))!;
      assert.equal(view.url, `http://files.test/files/${bucket}/${objectKey}.mp4`, 'a public item gets its plain URL');
      assert.equal(view.posterUrl, `http://files.test/files/${bucket}/${objectKey}.jpg`);

      assert.equal(
        await publications().apply({ courseId: '41', version: 2, organisationId: 'org-a', page, publicMediaIds: [] }),
        'stale',
      );
      assert.equal(
        await publications().apply({ courseId: '41', version: 1, organisationId: 'org-a', page, publicMediaIds: [] }),
        'stale',
      );
      assert.deepEqual(await publicKeys(), [true, true, true]);
      assert.equal(
        await publications().apply({ courseId: '41', version: 3, organisationId: 'org-a', page, publicMediaIds: [] }),
        'applied',
      );
      assert.deepEqual(await publicKeys(), [false, false, false]);
      assert.equal(
        await publications().isPublic(page.bucket, page.key),
        true,
        'an offline course keeps its page public',
      );

      const ids = Array.from({ length: 6 }, (_, i) => md5(Buffer.from(`race ${i}`)));
      const outcomes = await Promise.all(
        ids.map((id, i) =>
          publications().apply({
            courseId: '42',
            version: i + 1,
            organisationId: 'org-a',
            page: { bucket: 'course-pages', key: 'courses/42/index.html' },
            publicMediaIds: [id],
          }),
        ),
      );
      assert.ok(outcomes.includes('applied'));
      assert.equal((await publications().publication('42'))?.version, 6);
      assert.deepEqual(
        await publications().publicMediaIds('42'),
        [ids[5]],
        "the newest report's media, and only those",
      );
    });

    test('two organisations deleting the last two entries at once leave no row and no stored object', async () => {
      const { log, errors } = recordingLogger();
      for (let round = 0; round < 5; round++) {
        const data = Buffer.from(`shared by two, round ${round}\n`);
        const uploaded = await service().upload(memberA, { fileName: 'a.txt', stream: Readable.from([data]) }, {});
        await service().upload(memberB, { fileName: 'b.txt', stream: Readable.from([data]) }, {});
        const object = await new MediaRepository(db.orm.em.fork()).object(uploaded.id);
        assert.ok(object && (await store.stat(object.bucket, object.objectKey)));

        assert.deepEqual(
          await Promise.all([service().delete(memberA, uploaded.id, log), service().delete(memberB, uploaded.id, log)]),
          [true, true],
        );
        const em = db.orm.em.fork();
        assert.equal(await em.count(MediaFile, { object: uploaded.id }), 0);
        assert.equal(await em.count(MediaObject, { fileMd5: uploaded.id }), 0);
        assert.equal(
          await store.stat(object.bucket, object.objectKey),
          undefined,
          `round ${round}: the bytes are gone`,
        );
      }
      assert.deepEqual(errors, []);
    });
  });
}
