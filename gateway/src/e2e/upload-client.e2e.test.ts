import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTestClips, type TestClips } from '@learnhub/media/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { discardUpload, type FileHasher, UploadError, type UploadProgress } from '@learnhub/upload-client';
import { JsonFileResumeStore, openFile, uploadPath, workerThreadHasher } from '@learnhub/upload-client/node';
import { ChunkGate } from '../testing/chunk-gate';
import { writePaddedVideo } from '../testing/padded-video';
import { graphql, PlatformStack } from './platform-stack';

/*
 * @learnhub/upload-client against the real platform: the services and the gateway as processes, real videos (ffmpeg
 * clips padded to several 5 MiB chunks), the local object store. Every upload is checked by
 * downloading what the platform serves and comparing MD5s.
 */

const MiB = 1024 * 1024;
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

function countingHasher(): FileHasher & { digests: number } {
  const inner = workerThreadHasher();
  const hasher = {
    digests: 0,
    digest: (...args: Parameters<FileHasher['digest']>) => {
      hasher.digests++;
      return inner.digest(...args);
    },
    rangeMd5: inner.rangeMd5,
  };
  return hasher;
}

describe('the upload client against media and the gateway', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let endpoint: string;
  let gate: ChunkGate;
  let clips: TestClips;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-upload-client-e2e-'));
    clips = await makeTestClips();
    // The gate is the stack's public URL too, so chunk upload URLs lead through it.
    gate = await ChunkGate.start();
    stack = await PlatformStack.start({ PUBLIC_URL: gate.origin });
    gate.target = new URL(stack.gatewayUrl);
    endpoint = `${stack.gatewayUrl}/graphql`;
  });
  after(async () => {
    await stack?.stop();
    await gate?.close();
    await clips?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  /** Stops `upload` once `passed` chunks went through the gate and the next is held there. */
  async function stoppedAfter(passed: number, upload: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    gate.holdAfter(passed);
    const stop = new AbortController();
    try {
      const uploading = upload(stop.signal);
      await waitUntil(
        `${passed} chunks through the gate and the next held`,
        () => gate.passed >= passed && gate.held >= 1,
        60_000,
      ).finally(() => stop.abort());
      await assert.rejects(uploading, { name: 'UploadError', code: 'ABORTED' });
    } finally {
      gate.open();
    }
  }

  const served = async (url: string) => md5(Buffer.from(await (await fetch(url)).arrayBuffer()));
  const member = (organisationId: string) => stack.token(`author-${organisationId}`, ['member'], organisationId);
  const status = async (token: string, fileMd5: string) =>
    (
      await graphql<{ uploadStatus: { state: string; uploadedChunks: number[] } }>(
        stack.gatewayUrl,
        'query ($m: String!) { uploadStatus(fileMd5: $m) { state uploadedChunks } }',
        { m: fileMd5 },
        token,
      )
    ).data!;

  test('a three-chunk video goes up as multipart chunks, with progress, and is served byte-identical', async () => {
    const video = await writePaddedVideo(dir, 'lecture-1.mp4', clips.mp4, 13 * MiB);
    const token = await member('org-multipart');
    const progress: UploadProgress[] = [];
    const result = await uploadPath(video.path, {
      endpoint: endpoint,
      token,
      transport: 'multipart',
      resumeStore: null,
      tags: 'week 1',
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(
      [result.instant, result.chunkTotal, result.sentChunks, result.reusedChunks, result.transport],
      [false, 3, 3, 0, 'multipart'],
    );
    assert.equal(result.media.id, video.md5);
    assert.deepEqual(
      [result.media.type, result.media.fileName, result.media.tags],
      ['VIDEO', 'lecture-1.mp4', 'week 1'],
    );
    assert.equal(result.media.playable, true, 'an H.264 MP4 needs no transcoding');
    assert.equal(await served(result.media.url), video.md5);
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ['hashing', 'uploading', 'merging', 'done']);
    assert.equal(progress.filter((p) => p.phase === 'hashing').at(-1)?.hashedBytes, video.bytes.length);
    assert.deepEqual(
      progress.filter((p) => p.phase === 'uploading').map((p) => p.sentChunks),
      [0, 1, 2, 3],
    );
  });

  test('by default chunks are PUT to chunk upload URLs', async () => {
    const video = await writePaddedVideo(dir, 'lecture-2.mp4', clips.mp4, 11 * MiB);
    const notices: string[] = [];
    const result = await uploadPath(video.path, {
      endpoint: endpoint,
      token: await member('org-urls'),
      resumeStore: null,
      onNotice: (message) => notices.push(message),
    });
    assert.deepEqual([result.sentChunks, result.transport], [3, 'urls']);
    assert.deepEqual(notices, []);
    assert.equal(await served(result.media.url), video.md5);
  });

  test('an upload stopped mid-way resumes from the resume store: not hashed again, only the missing chunks sent', async () => {
    const video = await writePaddedVideo(dir, 'lecture-3.mp4', clips.mp4, 22 * MiB);
    const token = await member('org-resume');
    const store = new JsonFileResumeStore(join(dir, 'resume.json'));
    const hasher = countingHasher();
    // Two chunks reach the server; the third is held by the gate until the upload is stopped.
    await stoppedAfter(2, (signal) =>
      uploadPath(video.path, { endpoint: gate.url(), token, concurrency: 1, resumeStore: store, hasher, signal }),
    );
    assert.deepEqual((await status(token, video.md5)).uploadStatus, { state: 'UPLOADING', uploadedChunks: [0, 1] });
    assert.equal(Object.keys(await store.all()).length, 1, 'the MD5s are remembered');

    const result = await uploadPath(video.path, {
      endpoint: endpoint,
      token,
      resumeStore: store,
      hasher,
    });
    assert.equal(hasher.digests, 1, 'the resumed upload did not hash the file again');
    assert.deepEqual([result.resumed, result.reusedChunks, result.sentChunks, result.chunkTotal], [true, 2, 3, 5]);
    assert.equal(await served(result.media.url), video.md5);
    assert.deepEqual(await store.all(), {});
  });

  test('the same file again is an instant upload; another organisation gets it after a possession proof', async () => {
    const video = await writePaddedVideo(dir, 'lecture-4.mp4', clips.mp4, 6 * MiB);
    const options = { endpoint: endpoint, resumeStore: null, transport: 'multipart' as const };
    const first = await uploadPath(video.path, { ...options, token: await member('org-first') });
    assert.equal(first.instant, false);

    const again = await uploadPath(video.path, { ...options, token: await member('org-first') });
    assert.deepEqual([again.instant, again.proved, again.sentChunks], [true, false, 0]);
    assert.equal(again.media.id, first.media.id);

    const other = await uploadPath(video.path, { ...options, token: await member('org-second') });
    assert.deepEqual([other.instant, other.proved, other.sentChunks], [true, true, 0]);
    assert.equal(other.media.organisationId, 'org-second');
    assert.equal(await served(other.media.url), video.md5);
  });

  test('a possession proof from other bytes with the same MD5 claim is refused (PROOF_MISMATCH), not retried', async () => {
    const video = await writePaddedVideo(dir, 'lecture-5.mp4', clips.mp4, 6 * MiB);
    await uploadPath(video.path, {
      endpoint: endpoint,
      resumeStore: null,
      transport: 'multipart',
      token: await member('org-owner'),
    });
    // A claimant who knows the MD5 but holds other bytes: the hasher reports the real MD5, the range is hashed from its own copy.
    const forged = join(dir, 'forged.mp4');
    await writeFile(forged, Buffer.alloc(video.bytes.length, 7));
    const real = workerThreadHasher();
    const claimant: FileHasher = {
      digest: async (_source, chunkSize, onProgress, signal) =>
        real.digest(await openFile(video.path), chunkSize, onProgress, signal),
      rangeMd5: real.rangeMd5,
    };
    await assert.rejects(
      uploadPath(forged, {
        endpoint: endpoint,
        resumeStore: null,
        token: await member('org-thief'),
        hasher: claimant,
      }),
      (error: unknown) => {
        assert.ok(error instanceof UploadError);
        assert.deepEqual([error.code, error.reason], ['BAD_USER_INPUT', 'PROOF_MISMATCH']);
        assert.match(error.message, /proof does not match/);
        return true;
      },
    );
  });

  test("the server's refusals come back as they are: a file that is not what its name says, and a bad token before any hashing", async () => {
    const pdf = join(dir, 'slides.mp4');
    await writeFile(pdf, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300_000, 1)]));
    await assert.rejects(
      uploadPath(pdf, { endpoint: endpoint, resumeStore: null, token: await member('org-pdf') }),
      (error: unknown) => {
        assert.ok(error instanceof UploadError);
        assert.deepEqual([error.code, error.reason, error.retryable], ['BAD_USER_INPUT', 'FILE_TYPE_MISMATCH', false]);
        assert.match(error.message, /\.pdf/, 'the message names the extension to use');
        return true;
      },
    );

    const hasher = countingHasher();
    await assert.rejects(uploadPath(pdf, { endpoint: endpoint, resumeStore: null, token: 'not-a-token', hasher }), {
      name: 'UploadError',
      code: 'UNAUTHENTICATED',
    });
    assert.equal(hasher.digests, 0);
  });

  test('discardOnAbort gives the upload up on the server; discardUpload does it for an upload left behind', async () => {
    const video = await writePaddedVideo(dir, 'lecture-6.mp4', clips.mp4, 12 * MiB);
    const token = await member('org-discard');
    const store = new JsonFileResumeStore(join(dir, 'discard.json'));
    await stoppedAfter(1, (signal) =>
      uploadPath(video.path, {
        endpoint: gate.url(),
        token,
        concurrency: 1,
        resumeStore: store,
        signal,
        discardOnAbort: true,
      }),
    );
    assert.equal((await status(token, video.md5)).uploadStatus.state, 'NOT_STARTED');
    assert.deepEqual(await store.all(), {});

    // An upload left open (a crash), then given up from its remembered MD5.
    await graphql(
      stack.gatewayUrl,
      'mutation ($i: CheckFileInput!) { checkFile(input: $i) { exists } }',
      { i: { fileMd5: video.md5, fileName: 'lecture-6.mp4', fileSize: video.bytes.length } },
      token,
    );
    assert.equal((await status(token, video.md5)).uploadStatus.state, 'UPLOADING');
    const file = await openFile(video.path);
    assert.equal(
      await discardUpload(file, { endpoint: endpoint, token, resumeStore: store, hasher: workerThreadHasher() }),
      true,
    );
    assert.equal((await status(token, video.md5)).uploadStatus.state, 'NOT_STARTED');
  });
});
