import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { signToken } from '@learnhub/platform/auth';
import { readConfig } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { PausePoints } from '@learnhub/platform/faults';
import { createLogger } from '@learnhub/platform/logger';
import { multipartRequest } from '@learnhub/platform/http';
import { post } from '@learnhub/platform/http';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { freePort } from '@learnhub/platform/testing';
import { ServiceProcessGroup } from '@learnhub/platform/testing';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { UploadState } from '../entities/upload-session.entity';
import { mediaMigrations } from '../migrations/migrations';
import { MediaRepository } from '../repositories/media.repository';
import { UploadSessionRepository } from '../repositories/upload-session.repository';
import { mediaEntities } from '../entities/media-entities';
import { findFfprobe } from '../video-tools/ffmpeg-binaries';
import { FfprobeProber } from '../video-tools/ffprobe-prober';
import { makeTestClips, type TestClips } from '../video-tools/test-clips';
import { TranscodeQueue } from './transcode-queue';
import { UploadCleanupService } from './upload-cleanup.service';
import { UploadMergeService } from './upload-merge.service';
import { startMediaProcess } from '../testing/media-process';

/*
 * Merges that survive crashes, with real media processes (`node dist/main.js`) on one database
 * and one object store: a process is held at a named step of a merge (TEST_PAUSE_AT), killed
 * there with SIGKILL, and the merge is then finished or rolled back by the next mergeChunks,
 * abortUpload or cleanup run. Callers of a live merge hear UPLOAD_MERGING after the wait bound,
 * and callers that leave stop waiting at once.
 */

const JWT_SECRET = 'merge-recovery-test-secret-long-enough-for-hs256';
const member = { userId: 'u-merge', roles: ['member' as const], organisationId: 'org-merge' };
const DEADLINE_MS = 30_000;

const CHECK_FILE =
  'mutation ($input: CheckFileInput!) { checkFile(input: $input) { exists upload { state chunkTotal } } }';
const UPLOAD_CHUNK = 'mutation ($input: UploadChunkInput!) { uploadChunk(input: $input) { state } }';
const MERGE = 'mutation ($input: MergeChunksInput!) { mergeChunks(input: $input) { fileMd5 fileName size tags } }';
const ABORT = 'mutation ($fileMd5: String!) { abortUpload(fileMd5: $fileMd5) }';
const STATUS =
  'query ($fileMd5: String!) { uploadStatus(fileMd5: $fileMd5) { state uploadedChunks media { fileMd5 } } }';

interface Answer {
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the answers' fields by path.
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

for (const factory of testDatabases('merge recovery')) {
  describe(`merges survive kill -9 of media on ${factory.kind}`, () => {
    let database: TestDatabase;
    let dataDir: string;
    let clips: TestClips;
    let orm: MikroORM;
    let token: string;
    const processes = new ServiceProcessGroup();

    before(async () => {
      database = await factory.create();
      dataDir = await mkdtemp(join(tmpdir(), 'lh-merge-recovery-'));
      clips = await makeTestClips();
      token = await signToken(member, JWT_SECRET);
      orm = await openDatabase({ url: database.url, entities: mediaEntities, migrations: mediaMigrations });
    });
    after(async () => {
      await processes.close('SIGKILL');
      await orm?.close();
      await clips?.remove();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    /** A media process on the suite's database and store; `env` adds settings (a pause point, bounds). */
    const startMedia = async (env: Record<string, string> = {}) => {
      const port = await freePort();
      const service = await startMediaProcess(
        { processes, dataDir, databaseUrl: database.url, jwtSecret: JWT_SECRET, port },
        { UPLOAD_MERGE_WAIT_SECONDS: '10', ...env },
      );
      const origin = `http://127.0.0.1:${port}`;
      const graphql = async (query: string, variables: object, signal?: AbortSignal): Promise<Answer> => {
        const response = await fetch(`${origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
          signal: signal ?? AbortSignal.timeout(DEADLINE_MS),
        });
        return (await response.json()) as Answer;
      };
      return { service, origin, graphql };
    };
    type Media = Awaited<ReturnType<typeof startMedia>>;

    /** Opens an upload of `path` (declared with `fileMd5`, its own by default) and sends its one chunk; returns what a merge call needs. */
    const upload = async (media: Media, path: string, fileName: string, declared?: string) => {
      const bytes = await readFile(path);
      const fileMd5 = declared ?? md5(bytes);
      const opened = await media.graphql(CHECK_FILE, { input: { fileMd5, fileName, fileSize: bytes.length } });
      assert.equal(opened.errors, undefined, JSON.stringify(opened.errors));
      assert.equal(opened.data?.checkFile.upload.chunkTotal, 1);
      const form = multipartRequest(
        { query: UPLOAD_CHUNK, variables: { input: { fileMd5, index: 0, chunkMd5: md5(bytes), chunk: null } } },
        { 0: ['variables.input.chunk'] },
        [{ field: '0', filename: `${fileMd5}.0`, mimetype: 'application/octet-stream', content: [bytes] }],
      );
      const sent = await post(
        `${media.origin}/graphql`,
        { authorization: `Bearer ${token}`, 'content-type': form.contentType, 'apollo-require-preflight': 'true' },
        form.body,
        { signal: AbortSignal.timeout(60_000) },
      );
      assert.equal(JSON.parse(sent.body.toString()).errors, undefined, sent.body.toString());
      return {
        fileMd5,
        size: bytes.length,
        input: { fileMd5, fileName, chunkTotal: 1, tags: 'recovered', remark: 'merged before a crash' },
      };
    };

    /** Starts a merge in `media`, which is held at `point`, and kills the process there. */
    const killMidMerge = async (media: Media, input: object, point: string) => {
      const merging = media.graphql(MERGE, { input }).catch(() => undefined);
      await waitUntil(
        `media paused at ${point}`,
        () => media.service.log().includes(`paused at ${point}`),
        DEADLINE_MS,
      );
      await media.service.stop('SIGKILL');
      await merging;
    };

    const store = () => new LocalObjectStore({ root: join(dataDir, 'objects'), publicUrl: 'http://files.test/files' });
    const storedMd5 = async (fileMd5: string) => {
      const object = await new MediaRepository(orm.em.fork()).object(fileMd5);
      assert.ok(object, `media object ${fileMd5} recorded`);
      return md5(Buffer.concat(await (await store().get(object.bucket, object.objectKey)).toArray()));
    };
    const multipartLeft = () => readdir(join(dataDir, 'objects', '.multipart')).catch(() => [] as string[]);
    const sessionOf = (fileMd5: string) =>
      new UploadSessionRepository(orm.em.fork()).find(member.organisationId, fileMd5);

    test('killed after joining the chunks: after a restart, mergeChunks finishes the merge, with the right MD5', async () => {
      const first = await startMedia({ TEST_PAUSE_AT: 'merge:joined' });
      const { fileMd5, size, input } = await upload(first, clips.mkv, 'lesson.mkv');
      await killMidMerge(first, input, 'merge:joined');
      assert.equal((await sessionOf(fileMd5))?.state, UploadState.MERGING, 'the crash left the merge unfinished');

      const second = await startMedia();
      const merged = await second.graphql(MERGE, { input });
      assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
      assert.deepEqual(merged.data?.mergeChunks, { fileMd5, fileName: 'lesson.mkv', size, tags: 'recovered' });
      assert.equal(await storedMd5(fileMd5), fileMd5);
      const status = await second.graphql(STATUS, { fileMd5 });
      assert.deepEqual(
        status.data?.uploadStatus,
        { state: 'COMPLETED', uploadedChunks: [], media: { fileMd5 } },
        'no chunk outlives the merge',
      );
      assert.deepEqual(await multipartLeft(), []);
      assert.deepEqual(await second.graphql(MERGE, { input }), merged, 'merging again answers the same');
      await second.service.stop();
    });

    test('killed before joining: after a restart, abortUpload rolls the merge back and frees every byte', async () => {
      const first = await startMedia({ TEST_PAUSE_AT: 'merge:leased' });
      const { fileMd5, input } = await upload(first, clips.avi, 'legacy.avi');
      assert.notDeepEqual(await multipartLeft(), [], 'the chunk is stored');
      await killMidMerge(first, input, 'merge:leased');

      const second = await startMedia();
      const aborted = await second.graphql(ABORT, { fileMd5 });
      assert.deepEqual(aborted, { data: { abortUpload: true } });
      assert.equal((await second.graphql(STATUS, { fileMd5 })).data?.uploadStatus.state, 'NOT_STARTED');
      assert.equal(await sessionOf(fileMd5), null);
      assert.deepEqual(await multipartLeft(), []);
      await second.service.stop();
    });

    test('killed after probing, with nobody coming back: the cleanup job finishes the merge', async () => {
      const first = await startMedia({ TEST_PAUSE_AT: 'merge:verified' });
      const { fileMd5, input } = await upload(first, clips.mp4, 'playable.mp4');
      await killMidMerge(first, input, 'merge:verified');
      const sessions = new UploadSessionRepository(orm.em.fork());
      const session = (await sessionOf(fileMd5))!;
      await waitUntil('the dead merge lease ran out', () => sessions.mergeIsUnheld(session.id), DEADLINE_MS);

      const em = orm.em.fork();
      const objects = store();
      const videos = new TranscodeQueue(new FfprobeProber(findFfprobe(readConfig().media.ffprobePath)), objects);
      const log = createLogger('cleanup-test', 'silent');
      const merges = new UploadMergeService(
        new UploadSessionRepository(em),
        new MediaRepository(em),
        objects,
        videos,
        { leaseMs: 2000, owner: 'cleanup-test' },
        log,
        new PausePoints(),
      );
      const cleanup = new UploadCleanupService(new UploadSessionRepository(em), objects, 3600, log, merges);
      assert.deepEqual(await cleanup.run(new Date()), {
        expired: 0,
        chunksFreed: 0,
        mergesFinished: 1,
        mergesRolledBack: 0,
        orphansFreed: 0,
        debrisFreed: 0,
      });
      assert.equal((await sessionOf(fileMd5))?.state, UploadState.COMPLETED);
      const entry = await new MediaRepository(orm.em.fork()).entry(fileMd5, member.organisationId);
      assert.deepEqual(
        [entry?.fileName, entry?.tags, entry?.remark, entry?.createdBy],
        ['playable.mp4', 'recovered', 'merged before a crash', member.userId],
        'recorded as the merge call asked',
      );
      assert.equal(await storedMd5(fileMd5), fileMd5);
      assert.deepEqual(await multipartLeft(), []);
    });

    test('killed while rolling back, then asked by checkFile: the stuck session is not handed out again, and the upload starts afresh', async () => {
      // Declared MD5 of other bytes: the merge fails its check and is rolled back; the kill comes after the store was freed.
      const first = await startMedia({ TEST_PAUSE_AT: 'merge:freed' });
      const bytes = await readFile(clips.mp4);
      const { fileMd5: declared, input } = await upload(
        first,
        clips.mp4,
        'wrong.mp4',
        md5(Buffer.from('not these bytes')),
      );
      await killMidMerge(first, input, 'merge:freed');
      const session = (await sessionOf(declared))!;
      assert.equal(session.state, UploadState.MERGING);
      await waitUntil(
        'the dead merge lease ran out',
        () => new UploadSessionRepository(orm.em.fork()).mergeIsUnheld(session.id),
        DEADLINE_MS,
      );

      const second = await startMedia();
      const checked = await second.graphql(CHECK_FILE, {
        input: { fileMd5: declared, fileName: 'wrong.mp4', fileSize: bytes.length },
      });
      assert.equal(checked.errors, undefined, JSON.stringify(checked.errors));
      assert.deepEqual(
        checked.data?.checkFile,
        { exists: false, upload: { state: 'UPLOADING', chunkTotal: 1 } },
        'a fresh upload, not the dead merge',
      );
      assert.notEqual((await sessionOf(declared))?.id, session.id);
      assert.equal(
        await new MediaRepository(orm.em.fork()).object(declared),
        null,
        'nothing of the bad merge was recorded',
      );
      assert.deepEqual(await second.graphql(ABORT, { fileMd5: declared }), { data: { abortUpload: true } });
      assert.deepEqual(await multipartLeft(), []);
      await second.service.stop();
    });

    test('callers of a live merge hear UPLOAD_MERGING after the wait bound; callers that leave stop waiting', async () => {
      // The holder keeps its lease renewed while held at the pause point: a live merge.
      const holder = await startMedia({
        TEST_PAUSE_AT: 'merge:leased',
        UPLOAD_MERGE_LEASE_SECONDS: '30',
        UPLOAD_MERGE_WAIT_SECONDS: '300',
      });
      const { fileMd5, input } = await upload(holder, clips.silentMp4, 'silent.mp4');
      void holder.graphql(MERGE, { input }).catch(() => undefined);
      await waitUntil('the merge held', () => holder.service.log().includes('paused at merge:leased'), DEADLINE_MS);

      const other = await startMedia({ UPLOAD_MERGE_WAIT_SECONDS: '1' });
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, () => other.graphql(MERGE, { input })),
        other.graphql(ABORT, { fileMd5 }),
      ]);
      for (const answer of answers) {
        assert.equal(answer.data, null);
        assert.equal(answer.errors?.[0].extensions?.code, 'CONFLICT', JSON.stringify(answer.errors));
        assert.equal(answer.errors?.[0].extensions?.reason, 'UPLOAD_MERGING');
        assert.match(answer.errors![0].message, /merging, ask again/);
      }

      // On the holder, callers wait up to 300 s: they leave long before, and their waits end with them.
      const waiters = async () =>
        Number(
          /^media_upload_merge_waiters\{[^}]*\} (\d+)/m.exec(
            await (await fetch(`${holder.origin}/metrics`)).text(),
          )?.[1],
        );
      const clients = Array.from({ length: 20 }, () => new AbortController());
      const calls = clients.map((client) => holder.graphql(MERGE, { input }, client.signal).catch(() => undefined));
      await waitUntil('20 callers waiting', async () => (await waiters()) === 20, DEADLINE_MS);
      for (const client of clients) client.abort();
      await Promise.all(calls);
      await waitUntil('no caller left waiting', async () => (await waiters()) === 0, DEADLINE_MS);
      assert.equal((await sessionOf(fileMd5))?.state, UploadState.MERGING, 'the held merge is untouched');
      await holder.service.stop('SIGKILL');
      await other.service.stop();
    });
  });
}
