import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { graphql, type GraphQLSchema } from 'graphql';
import type { EntityManager } from '@mikro-orm/core';
import { anonymous, type Viewer } from '@learnhub/platform/auth';
import { formatError } from '@learnhub/platform/graphql';
import { Loaders } from '@learnhub/platform/graphql';
import type { Logger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { TaskTable } from '@learnhub/platform/tasks';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { TaskState } from '@learnhub/platform/tasks';
import { MediaObject, MediaType } from '../entities/media-object.entity';
import { MediaProcess, transcodeTasks } from '../entities/media-process.entity';
import { mediaMigrations } from '../migrations/migrations';
import { MediaProcessRepository } from '../repositories/media-process.repository';
import { MediaRepository } from '../repositories/media.repository';
import { TranscodeTaskRepository } from '../repositories/transcode-task.repository';
import { buildMediaSchema } from '../schema';
import { mediaEntities } from '../entities/media-entities';
import type { CourseUsage } from '../services/course-usage';
import { MediaService } from '../services/media.service';
import { playbackKey, posterKey, videoKey } from '../rules/object-keys';
import { TranscodeTaskService } from '../services/transcode-task.service';
import type { MediaContext } from './media-context';

const root: Viewer = { userId: 'root', roles: ['admin'] };
const member: Viewer = { userId: 'u-1', roles: ['member'], organisationId: 'org-1' };
const auditor: Viewer = { userId: 'u-2', roles: ['auditor'] };
const noWakeup = { notify: async () => {} };

let schema: GraphQLSchema;
before(async () => {
  schema = await buildMediaSchema();
});

/** Runs an operation and returns its data and its errors as clients receive them (JSON). */
async function run(ctx: MediaContext, source: string) {
  const result = await graphql({ schema, contextValue: ctx, source });
  return {
    data: JSON.parse(JSON.stringify(result.data ?? null)) as Record<string, unknown> | null,
    errors: result.errors?.map((error) => formatError(error.toJSON(), error)),
  };
}

const contextOf = (viewer: Viewer, services: Pick<MediaContext, 'media' | 'transcodeTasks'>): MediaContext =>
  ({
    requestId: 'r-1',
    log: {} as Logger,
    viewer,
    loaders: new Loaders(),
    maxPageSize: 100,
    ...services,
  }) as MediaContext;

describe('transcode task resolvers: who may call them', () => {
  // A service over no repository: any database access would fail, so every answer is the guard's.
  const offline = () => ({
    media: {} as MediaService,
    transcodeTasks: new TranscodeTaskService({} as TranscodeTaskRepository, noWakeup),
  });
  const operations = [
    '{ transcodeTasks { total } }',
    'mutation { retryTranscodeTask(id: "1") { id } }',
    'mutation { cancelTranscodeTask(id: "1") { id } }',
  ];

  test('members and auditors get FORBIDDEN, naming the admin role', async () => {
    for (const viewer of [member, auditor]) {
      for (const source of operations) {
        const { data, errors } = await run(contextOf(viewer, offline()), source);
        assert.equal(data, null, source);
        assert.equal(errors?.[0]?.extensions?.code, 'FORBIDDEN', source);
        assert.match(errors?.[0]?.message ?? '', /admin role/);
      }
    }
  });

  test('anonymous callers get UNAUTHENTICATED', async () => {
    for (const source of operations) {
      const { errors } = await run(contextOf(anonymous, offline()), source);
      assert.equal(errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', source);
    }
  });

  test('an id that is no task id is BAD_USER_INPUT naming the field', async () => {
    for (const field of ['retryTranscodeTask', 'cancelTranscodeTask']) {
      const { errors } = await run(contextOf(root, offline()), `mutation { ${field}(id: "abc") { id } }`);
      assert.equal(errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.deepEqual(errors?.[0]?.extensions?.fields, [{ field: 'id', message: 'must be a positive whole number' }]);
    }
  });
});

/** Nothing here deletes media, so nothing asks content which courses use it. */
const notAskedCourseUsage: CourseUsage = {
  coursesUsing: () => Promise.reject(new Error('these tests never delete media')),
};

/** A media answer with its signed URLs checked and reduced to their plain form (signatures change by the second). */
function unsigned(media: unknown): Record<string, unknown> {
  const view = { ...(media as Record<string, unknown>) };
  for (const field of ['url', 'posterUrl']) {
    if (typeof view[field] !== 'string') continue;
    const url = new URL(view[field] as string);
    assert.ok(
      url.searchParams.get('expires') && url.searchParams.get('signature'),
      `${field} is not signed: ${url.href}`,
    );
    url.search = '';
    view[field] = url.href;
  }
  return view;
}

for (const factory of testDatabases('transcode task resolvers')) {
  describe(`a video through transcoding, seen through GraphQL, on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: mediaEntities, migrations: mediaMigrations });
    let dir: string;
    let store: LocalObjectStore;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lh-transcode-graphql-'));
      store = new LocalObjectStore({
        root: dir,
        publicUrl: 'http://files.test/files',
        urlSecret: 'transcode-resolver-test-url-secret-32+',
      });
    });
    after(() => rm(dir, { recursive: true, force: true }));

    /** One request's context, on its own EntityManager. */
    const request = (viewer: Viewer) => {
      const em = db.orm.em.fork();
      return contextOf(viewer, {
        media: new MediaService(
          new MediaRepository(em),
          store,
          { tempDir: join(dir, 'tmp'), uploadMaxBytes: 1024 },
          notAskedCourseUsage,
        ),
        transcodeTasks: new TranscodeTaskService(new TranscodeTaskRepository(em), noWakeup),
      });
    };
    const fileMd5 = createHash('md5').update(`${factory.kind} lesson.avi`).digest('hex');
    const object = {
      fileMd5,
      type: MediaType.VIDEO,
      mimeType: 'video/x-msvideo',
      size: 4096,
      bucket: 'video',
      objectKey: videoKey(fileMd5, '.avi'),
    };
    const mediaQuery = `{ media(id: "${fileMd5}") { url mimeType size posterUrl durationSeconds width height transcodeState transcodeProgress playable } }`;

    test('while the task waits and runs: the original file, not playable, with the progress of the attempt', async () => {
      // As a merge records it: the probe facts on the object, the task in the same transaction.
      await new MediaRepository(db.orm.em.fork()).record(
        { ...object, durationSeconds: 61.5, width: 640, height: 360 },
        { organisationId: 'org-1', fileName: 'lesson.avi', createdBy: 'u-1' },
        (em: EntityManager) => new MediaProcessRepository(em).enqueue(object),
      );
      const waiting = await run(request(member), mediaQuery);
      assert.equal(waiting.errors, undefined, JSON.stringify(waiting.errors));
      assert.deepEqual(unsigned(waiting.data?.media), {
        url: `http://files.test/files/video/${object.objectKey}`,
        mimeType: 'video/x-msvideo',
        size: 4096,
        posterUrl: null,
        durationSeconds: 61.5,
        width: 640,
        height: 360,
        transcodeState: 'PENDING',
        transcodeProgress: null,
        playable: false,
      });

      await db.orm.em.fork().nativeUpdate(
        MediaProcess,
        { fileMd5 },
        {
          state: TaskState.PROCESSING,
          attempts: 1,
          leaseOwner: 'worker-1',
          leaseToken: 'worker-1:t',
          leaseUntilMs: Date.now() + 60_000,
          progress: 42,
        },
      );
      const running = await run(request(member), mediaQuery);
      assert.deepEqual(
        [
          (running.data!.media as Record<string, unknown>).transcodeState,
          (running.data!.media as Record<string, unknown>).transcodeProgress,
        ],
        ['PROCESSING', 42],
      );
    });

    test('after a successful transcode: the MP4 and its poster, playable; the admin sees the task in the history with its media', async () => {
      const task = await db.orm.em.fork().findOneOrFail(MediaProcess, { fileMd5 });
      // What the worker does on success: record the output in the transaction that moves the task to the history.
      await new TaskTable(db.orm.em.fork(), transcodeTasks).complete(
        { id: String(task.id), token: 'worker-1:t', attempt: 1, maxAttempts: 3, payload: undefined },
        async (tx) => {
          await tx.nativeUpdate(
            MediaObject,
            { fileMd5 },
            {
              playbackKey: playbackKey(fileMd5, object.objectKey),
              posterKey: posterKey(fileMd5),
              durationSeconds: 61.48,
            },
          );
        },
      );

      const done = await run(request(member), mediaQuery);
      assert.equal(done.errors, undefined, JSON.stringify(done.errors));
      assert.deepEqual(unsigned(done.data?.media), {
        url: `http://files.test/files/video/${fileMd5[0]}/${fileMd5[1]}/${fileMd5}/${fileMd5}.mp4`,
        mimeType: 'video/mp4',
        size: 4096,
        posterUrl: `http://files.test/files/video/${fileMd5[0]}/${fileMd5[1]}/${fileMd5}/${fileMd5}.jpg`,
        durationSeconds: 61.48,
        width: 640,
        height: 360,
        transcodeState: 'SUCCEEDED',
        transcodeProgress: null,
        playable: true,
      });

      const listed = await run(
        request(root),
        `{ transcodeTasks(filter: { state: SUCCEEDED, fileMd5: "${fileMd5}" }) { total page size hasNext
            items { id fileMd5 state stateCode attempts maxAttempts progress leaseOwner finishedBy finishedAt media { id fileName url mimeType } } } }`,
      );
      assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
      const page = listed.data?.transcodeTasks as { total: number; hasNext: boolean; items: Record<string, unknown>[] };
      assert.deepEqual([page.total, page.hasNext, page.items.length], [1, false, 1]);
      const { finishedAt, ...rest } = page.items[0];
      rest.media = unsigned(rest.media);
      assert.ok(typeof finishedAt === 'string' && !Number.isNaN(Date.parse(finishedAt)));
      assert.deepEqual(rest, {
        id: String(task.id),
        fileMd5,
        state: 'SUCCEEDED',
        stateCode: 2,
        attempts: 1,
        maxAttempts: null,
        progress: null,
        leaseOwner: null,
        finishedBy: 'worker-1',
        media: { id: fileMd5, fileName: 'lesson.avi', url: unsigned(done.data?.media).url, mimeType: 'video/mp4' },
      });
    });

    test('a task whose media is gone lists with media null; retry and cancel answer the task', async () => {
      const orphan = createHash('md5').update(`${factory.kind} orphan`).digest('hex');
      await new MediaProcessRepository(db.orm.em.fork()).enqueue({
        fileMd5: orphan,
        bucket: 'video',
        objectKey: videoKey(orphan, '.avi'),
      });
      const { id } = await db.orm.em.fork().findOneOrFail(MediaProcess, { fileMd5: orphan });

      const cancelled = await run(
        request(root),
        `mutation { cancelTranscodeTask(id: "${id}") { id state stateCode lastError nextAttemptAt media { id } } }`,
      );
      assert.equal(cancelled.errors, undefined, JSON.stringify(cancelled.errors));
      assert.deepEqual(cancelled.data?.cancelTranscodeTask, {
        id: String(id),
        state: 'CANCELLED',
        stateCode: 5,
        lastError: 'Cancelled by root',
        nextAttemptAt: null,
        media: null,
      });

      const retried = await run(
        request(root),
        `mutation { retryTranscodeTask(id: "${id}") { id state stateCode attempts nextAttemptAt } }`,
      );
      assert.equal(retried.errors, undefined, JSON.stringify(retried.errors));
      const task = retried.data?.retryTranscodeTask as Record<string, unknown>;
      assert.deepEqual([task.state, task.stateCode, task.attempts], ['PENDING', 1, 0]);
      assert.equal(typeof task.nextAttemptAt, 'string');

      const again = await run(request(root), `mutation { retryTranscodeTask(id: "${id}") { id } }`);
      assert.equal(again.errors?.[0]?.extensions?.code, 'CONFLICT');
      assert.equal(again.errors?.[0]?.extensions?.reason, 'TASK_STATE');
    });
  });
}
