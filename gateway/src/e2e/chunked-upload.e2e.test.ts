import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UploadError, type UploadProgress } from '@learnhub/upload-client';
import { uploadPath } from '@learnhub/upload-client/node';
import { FileUrlSigner } from '@learnhub/platform/object-store';
import {
  graphql,
  makeTestVideo,
  mp4FreeBox,
  PlatformStack,
  TEST_JWT_SECRET,
  uploadAt,
  type GraphQLResult,
} from './platform-stack';

/*
 * The resumable chunked upload (checkFile → uploadChunk → mergeChunks) through the gateway, with
 * the media subgraph and the gateway as real processes and real H.264 videos made by ffmpeg.
 */

const MiB = 1024 * 1024;
const CHUNK = 5 * MiB;
/** Small enough to test the limit, large enough for the test videos. */
const MAX_BYTES = 64 * MiB;

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const chunkOf = (file: Buffer, index: number) => file.subarray(index * CHUNK, (index + 1) * CHUNK);

const MEDIA = 'id fileMd5 fileName type mimeType size url organisationId';
const STATUS = 'fileMd5 state fileName fileSize chunkSize chunkTotal uploadedChunks missingChunks expiresAt failure';
const CHECK_FILE = `mutation ($input: CheckFileInput!) { checkFile(input: $input) { exists media { ${MEDIA} } upload { ${STATUS} } proof { offset length } } }`;
const UPLOAD_CHUNK = `mutation ($input: UploadChunkInput!) { uploadChunk(input: $input) { ${STATUS} } }`;
const MERGE = `mutation ($input: MergeChunksInput!) { mergeChunks(input: $input) { ${MEDIA} } }`;
const UPLOAD_STATUS = `query ($fileMd5: String!) { uploadStatus(fileMd5: $fileMd5) { ${STATUS} media { id } } }`;

interface Media {
  id: string;
  fileMd5: string;
  fileName: string;
  type: string;
  mimeType: string;
  size: string | number;
  url: string;
  organisationId: string;
}
interface Status {
  fileMd5: string;
  state: string;
  fileName: string | null;
  fileSize: string | number | null;
  chunkSize: number;
  chunkTotal: number | null;
  uploadedChunks: number[];
  missingChunks: number[];
  expiresAt: string | null;
  failure: string | null;
  media?: { id: string } | null;
}
interface FileCheck {
  exists: boolean;
  media: Media | null;
  upload: Status | null;
  proof: { offset: string | number; length: number } | null;
}

function reasonOf(result: GraphQLResult<unknown>): unknown {
  return result.errors?.[0]?.extensions?.reason;
}

describe('resumable chunked upload through the gateway, as real processes', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let workDir: string;
  /** A real ~13 MiB H.264 MP4: three chunks of 5, 5 and ~3.3 MiB. */
  let bigVideo: Buffer;
  /** A real MP4 of a few KiB: one chunk. */
  let smallVideo: Buffer;
  let endpoint: string;
  let files = 0;

  /** A unique copy of `base` (an MP4 with a random `free` box appended), written to disk. */
  async function videoFile(
    base: Buffer,
    name = 'lesson.mp4',
  ): Promise<{ path: string; bytes: Buffer; md5: string; name: string }> {
    const bytes = Buffer.concat([base, mp4FreeBox(4096)]);
    const folder = join(workDir, String(++files));
    await mkdir(folder);
    const path = join(folder, name);
    await writeFile(path, bytes);
    return { path, bytes, md5: md5(bytes), name };
  }

  const member = (organisationId: string, userId = `user-${organisationId}`) =>
    stack.token(userId, ['member'], organisationId);

  const checkFile = (token: string, input: object) =>
    graphql<{ checkFile: FileCheck }>(stack.gatewayUrl, CHECK_FILE, { input }, token);
  const status = (token: string, fileMd5: string) =>
    graphql<{ uploadStatus: Status }>(stack.gatewayUrl, UPLOAD_STATUS, { fileMd5 }, token);
  const merge = (token: string, input: object) =>
    graphql<{ mergeChunks: Media }>(stack.gatewayUrl, MERGE, { input }, token);
  const sendChunk = (token: string, fileMd5: string, index: number, bytes: Buffer, chunkMd5 = md5(bytes)) =>
    uploadAt<{ uploadChunk: Status }>(
      stack.gatewayUrl,
      UPLOAD_CHUNK,
      { input: { fileMd5, index, chunkMd5, chunk: null } },
      'variables.input.chunk',
      new Blob([bytes]),
      `chunk-${index}`,
      token,
    );

  /** Opens the upload of `file` and asserts it starts empty. */
  async function open(token: string, file: { md5: string; bytes: Buffer; name: string }): Promise<Status> {
    const result = await checkFile(token, { fileMd5: file.md5, fileName: file.name, fileSize: file.bytes.length });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data!.checkFile.exists, false);
    return result.data!.checkFile.upload!;
  }

  async function sendAll(token: string, file: { md5: string; bytes: Buffer }, indexes: number[]): Promise<void> {
    for (const index of indexes) {
      const sent = await sendChunk(token, file.md5, index, chunkOf(file.bytes, index));
      assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    }
  }

  async function download(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
    const response = await fetch(url, { headers });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lh-chunked-e2e-'));
    await makeTestVideo(join(workDir, 'big.mp4'), { seconds: 14, bitrate: '8M' });
    await makeTestVideo(join(workDir, 'small.mp4'), { seconds: 1, size: '160x90', rate: 10 });
    bigVideo = await readFile(join(workDir, 'big.mp4'));
    smallVideo = await readFile(join(workDir, 'small.mp4'));
    assert.ok(
      bigVideo.length > 2 * CHUNK && bigVideo.length < 3 * CHUNK - 8192,
      `the test video has ${bigVideo.length} bytes; it should make 3 chunks`,
    );
    stack = await PlatformStack.start({
      UPLOAD_MAX_FILE_BYTES: String(MAX_BYTES),
      UPLOAD_CHUNK_SIZE: String(CHUNK),
    });
    endpoint = `${stack.gatewayUrl}/graphql`;
  });
  after(async () => {
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  test('a one-chunk video uploads with the client, and its URL serves the same bytes', async () => {
    const file = await videoFile(smallVideo);
    const token = await member('org-one');
    const result = await uploadPath(file.path, { endpoint, token, tags: 'demo', remark: 'short' });
    assert.equal(result.instant, false);
    assert.equal(result.reusedChunks, 0);
    assert.equal(result.media.id, file.md5);
    assert.equal(result.media.type, 'VIDEO');
    assert.equal(result.media.mimeType, 'video/mp4');
    assert.equal(Number(result.media.size), file.bytes.length);
    assert.equal(result.media.fileName, file.name);
    assert.deepEqual([result.media.tags, result.media.remark], ['demo', 'short']);
    const served = await download(result.media.url);
    assert.equal(served.status, 200);
    assert.equal(md5(served.bytes), file.md5);
  });

  test('a three-chunk video uploads with the client, reporting progress, and is served byte-identical', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-many');
    const progress: UploadProgress[] = [];
    const result = await uploadPath(file.path, {
      endpoint,
      token,
      concurrency: 2,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.instant, false);
    assert.equal(result.reusedChunks, 0);
    assert.equal(Number(result.media.size), file.bytes.length);
    assert.deepEqual(
      progress.filter((p) => p.phase === 'uploading').map((p) => p.sentChunks),
      [0, 1, 2, 3],
    );
    const last = progress.at(-1)!;
    assert.deepEqual(
      [last.phase, last.sentBytes, last.totalBytes, last.sentChunks, last.chunkTotal],
      ['done', file.bytes.length, file.bytes.length, 3, 3],
    );
    assert.equal(md5((await download(result.media.url)).bytes), file.md5);

    const after = await status(token, file.md5);
    assert.equal(after.data!.uploadStatus.state, 'COMPLETED');
    assert.equal(after.data!.uploadStatus.media?.id, file.md5);
  });

  test('after a crash the client resumes: only the missing chunks are sent again', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-resume');
    await open(token, file);
    await sendAll(token, file, [0, 2]);

    // The client reports progress once before sending and once per chunk it sends.
    const reported: number[] = [];
    const result = await uploadPath(file.path, {
      endpoint,
      token,
      onProgress: (p) => p.phase === 'uploading' && reported.push(p.sentChunks),
    });
    assert.deepEqual(reported, [2, 3], 'only chunk 1 was sent');
    assert.equal(result.reusedChunks, 2);
    assert.equal(result.instant, false);
    assert.equal(md5((await download(result.media.url)).bytes), file.md5);
  });

  test('chunks sent in parallel and in reverse order merge into the right file', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-parallel');
    const opened = await open(token, file);
    assert.deepEqual(opened.missingChunks, [0, 1, 2]);
    assert.equal(opened.chunkSize, CHUNK);
    const results = await Promise.all(
      [2, 1, 0].map((index) => sendChunk(token, file.md5, index, chunkOf(file.bytes, index))),
    );
    for (const result of results) assert.equal(result.errors, undefined, JSON.stringify(result.errors));

    const stored = (await status(token, file.md5)).data!.uploadStatus;
    assert.deepEqual([...stored.uploadedChunks].sort(), [0, 1, 2]);
    assert.deepEqual(stored.missingChunks, []);
    const merged = await merge(token, { fileMd5: file.md5, fileName: file.name, chunkTotal: 3 });
    assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
    assert.equal(md5((await download(merged.data!.mergeChunks.url)).bytes), file.md5);
  });

  test('a damaged chunk (MD5 differs) is refused with CHUNK_CHECKSUM_MISMATCH and not stored', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-damaged');
    await open(token, file);
    const damaged = Buffer.from(chunkOf(file.bytes, 1));
    damaged[1000] ^= 0xff;
    const refused = await sendChunk(token, file.md5, 1, damaged, md5(chunkOf(file.bytes, 1)));
    assert.equal(refused.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.equal(reasonOf(refused), 'CHUNK_CHECKSUM_MISMATCH');
    const checked = await graphql<{ checkChunk: boolean }>(
      stack.gatewayUrl,
      'mutation ($m: String!) { checkChunk(fileMd5: $m, index: 1) }',
      { m: file.md5 },
      token,
    );
    assert.equal(checked.data!.checkChunk, false);
    assert.deepEqual((await status(token, file.md5)).data!.uploadStatus.uploadedChunks, []);

    await sendAll(token, file, [1]);
    assert.deepEqual((await status(token, file.md5)).data!.uploadStatus.uploadedChunks, [1]);
  });

  test('a chunk of the wrong size is refused with CHUNK_SIZE_MISMATCH', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-size');
    await open(token, file);
    const short = chunkOf(file.bytes, 0).subarray(0, CHUNK - 1);
    assert.equal(reasonOf(await sendChunk(token, file.md5, 0, short)), 'CHUNK_SIZE_MISMATCH');
    const long = Buffer.concat([chunkOf(file.bytes, 2), Buffer.from([0])]);
    assert.equal(reasonOf(await sendChunk(token, file.md5, 2, long)), 'CHUNK_SIZE_MISMATCH');
    const outOfRange = await sendChunk(token, file.md5, 3, chunkOf(file.bytes, 2));
    assert.equal(outOfRange.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual((await status(token, file.md5)).data!.uploadStatus.uploadedChunks, []);
  });

  test('a wrong declared file MD5 fails the merge with FILE_CHECKSUM_MISMATCH and leaves nothing stored', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-wrong-md5');
    const declared = md5(randomBytes(16));
    const opened = await open(token, { ...file, md5: declared });
    assert.equal(opened.chunkTotal, 3);
    await sendAll(token, { ...file, md5: declared }, [0, 1, 2]);
    const merged = await merge(token, { fileMd5: declared, fileName: file.name, chunkTotal: 3 });
    assert.equal(merged.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.equal(reasonOf(merged), 'FILE_CHECKSUM_MISMATCH');

    const after = (await status(token, declared)).data!.uploadStatus;
    assert.equal(after.state, 'FAILED');
    assert.match(after.failure ?? '', new RegExp(file.md5));
    assert.equal(after.media, null);
    for (const id of [declared, file.md5]) {
      const media = await graphql<{ media: Media | null }>(
        stack.gatewayUrl,
        'query ($id: ID!) { media(id: $id) { id } }',
        { id },
        token,
      );
      assert.equal(media.data!.media, null);
    }
    // The merged object would have lived under the declared MD5's key; it was deleted.
    const key = `${declared.slice(0, 1)}/${declared.slice(1, 2)}/${declared}/${declared}.mp4`;
    assert.equal(
      (await download(`${stack.gatewayUrl}/files/video/${key}`)).status,
      403,
      'an unsigned link opens nothing private',
    );
    // Signed with the stack's URL key (AUTH_JWT_SECRET, as FILE_URL_SECRET is unset), so the answer says whether the object exists.
    const signed = new FileUrlSigner(TEST_JWT_SECRET).signUrl(
      `${stack.gatewayUrl}/files/video/${key}`,
      'video',
      key,
      60,
    );
    assert.equal((await download(signed)).status, 404);
    // Merging again says the upload ended; checking the file again starts afresh.
    assert.equal(
      reasonOf(await merge(token, { fileMd5: declared, fileName: file.name, chunkTotal: 3 })),
      'UPLOAD_ENDED',
    );
    assert.deepEqual((await open(token, { ...file, md5: declared })).missingChunks, [0, 1, 2]);
  });

  test('merging with a chunk missing is refused with CHUNKS_MISSING naming it', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-missing');
    await open(token, file);
    await sendAll(token, file, [0, 2]);
    const merged = await merge(token, { fileMd5: file.md5, fileName: file.name, chunkTotal: 3 });
    assert.equal(reasonOf(merged), 'CHUNKS_MISSING');
    assert.deepEqual(merged.errors?.[0].extensions?.missing, [1]);
    assert.equal((await status(token, file.md5)).data!.uploadStatus.state, 'UPLOADING');
  });

  test('racing merges and a repeated merge yield one media item, listed once', async () => {
    const file = await videoFile(bigVideo, 'race.mp4');
    const token = await member('org-race');
    await open(token, file);
    await sendAll(token, file, [0, 1, 2]);
    const input = { fileMd5: file.md5, fileName: file.name, chunkTotal: 3 };
    const merges = await Promise.all(Array.from({ length: 5 }, () => merge(token, input)));
    for (const result of merges) {
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data!.mergeChunks.id, file.md5);
    }
    const again = await merge(token, input);
    assert.equal(again.data?.mergeChunks.id, file.md5);
    const listed = await graphql<{ mediaFiles: { total: number; items: { id: string }[] } }>(
      stack.gatewayUrl,
      '{ mediaFiles { total items { id } } }',
      {},
      token,
    );
    assert.deepEqual(listed.data!.mediaFiles, { total: 1, items: [{ id: file.md5 }] });
    assert.equal(md5((await download(merges[0].data!.mergeChunks.url)).bytes), file.md5);
  });

  test('a file already in the organisation completes at once (instant upload)', async () => {
    const file = await videoFile(smallVideo);
    const token = await member('org-instant');
    const first = await uploadPath(file.path, { endpoint, token });
    assert.equal(first.instant, false);
    const checked = await checkFile(token, { fileMd5: file.md5, fileName: 'again.mp4', fileSize: file.bytes.length });
    assert.equal(checked.data!.checkFile.exists, true);
    assert.equal(checked.data!.checkFile.media?.id, file.md5);
    assert.equal(checked.data!.checkFile.upload, null);
    const second = await uploadPath(file.path, { endpoint, token });
    assert.equal(second.instant, true);
    assert.equal(second.media.id, file.md5);
  });

  test('another organisation gets the file instantly only with a proof of possession', async () => {
    const file = await videoFile(bigVideo);
    const owner = await member('org-owner');
    const other = await member('org-claimant');
    const uploaded = await uploadPath(file.path, { endpoint, token: owner });
    const identity = { fileMd5: file.md5, fileName: 'mine.mp4', fileSize: file.bytes.length };

    // Knowing the MD5 is not enough: no access before the proof.
    const hidden = await graphql<{ media: Media | null }>(
      stack.gatewayUrl,
      'query ($id: ID!) { media(id: $id) { id } }',
      { id: file.md5 },
      other,
    );
    assert.equal(hidden.data!.media, null);
    const challenged = (await checkFile(other, identity)).data!.checkFile;
    assert.equal(challenged.exists, false);
    assert.equal(challenged.media, null);
    assert.ok(challenged.proof);
    const offset = Number(challenged.proof.offset);
    assert.ok(offset >= 0 && offset + challenged.proof.length <= file.bytes.length);

    const wrong = await checkFile(other, {
      ...identity,
      proof: { rangeMd5: md5(file.bytes.subarray(offset + 1, offset + 1 + challenged.proof.length)) },
    });
    assert.equal(reasonOf(wrong), 'PROOF_MISMATCH');
    assert.equal(
      (
        await graphql<{ media: Media | null }>(
          stack.gatewayUrl,
          'query ($id: ID!) { media(id: $id) { id } }',
          { id: file.md5 },
          other,
        )
      ).data!.media,
      null,
    );

    const proved = await checkFile(other, {
      ...identity,
      proof: { rangeMd5: md5(file.bytes.subarray(offset, offset + challenged.proof.length)) },
    });
    assert.equal(proved.errors, undefined, JSON.stringify(proved.errors));
    assert.equal(proved.data!.checkFile.exists, true);
    assert.equal(proved.data!.checkFile.media?.organisationId, 'org-claimant');
    assert.equal(proved.data!.checkFile.media?.fileName, 'mine.mp4');
    const own = await graphql<{ mediaFiles: { items: Media[] } }>(
      stack.gatewayUrl,
      `{ mediaFiles { items { ${MEDIA} } } }`,
      {},
      other,
    );
    assert.deepEqual(
      own.data!.mediaFiles.items.map((m) => [m.id, m.organisationId, m.fileName]),
      [[file.md5, 'org-claimant', 'mine.mp4']],
    );
    const owners = await graphql<{ mediaFiles: { items: Media[] } }>(
      stack.gatewayUrl,
      `{ mediaFiles { items { ${MEDIA} } } }`,
      {},
      owner,
    );
    assert.deepEqual(
      owners.data!.mediaFiles.items.map((m) => [m.id, m.organisationId, m.fileName]),
      [[file.md5, 'org-owner', uploaded.media.fileName]],
    );

    // The client answers the challenge by itself.
    const third = await uploadPath(file.path, { endpoint, token: await member('org-third') });
    assert.equal(third.instant, true);
    assert.equal(third.media.organisationId, 'org-third');
  });

  test('a file name with ../ is stored cleaned', async () => {
    const file = await videoFile(smallVideo);
    const result = await uploadPath(file.path, {
      endpoint,
      token: await member('org-names'),
      fileName: '../../etc/第1课 intro.mp4',
    });
    assert.equal(result.media.fileName, '第1课 intro.mp4');
  });

  test('a file above UPLOAD_MAX_FILE_BYTES is refused with PAYLOAD_TOO_LARGE', async () => {
    const token = await member('org-large');
    const result = await checkFile(token, {
      fileMd5: md5(randomBytes(8)),
      fileName: 'huge.mp4',
      fileSize: MAX_BYTES + 1,
    });
    assert.equal(result.errors?.[0].extensions?.code, 'PAYLOAD_TOO_LARGE');
    const atLimit = await checkFile(token, { fileMd5: md5(randomBytes(8)), fileName: 'fits.mp4', fileSize: MAX_BYTES });
    assert.equal(atLimit.errors, undefined, JSON.stringify(atLimit.errors));
  });

  test('a file whose bytes are not the type its name says is refused at chunk 0 with FILE_TYPE_MISMATCH', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(100_000)]);
    const file = { bytes: pdf, md5: md5(pdf), name: 'slides.mp4', path: join(workDir, 'slides.pdf') };
    const token = await member('org-pdf');
    await open(token, file);
    const refused = await sendChunk(token, file.md5, 0, pdf);
    assert.equal(refused.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.equal(reasonOf(refused), 'FILE_TYPE_MISMATCH');
    assert.match(refused.errors?.[0].message ?? '', /application\/pdf.*\.pdf/);
    assert.deepEqual((await status(token, file.md5)).data!.uploadStatus.uploadedChunks, []);

    await writeFile(file.path, pdf);
    await assert.rejects(uploadPath(file.path, { endpoint, token, fileName: 'slides.mp4' }), (error: unknown) => {
      assert.ok(error instanceof UploadError);
      assert.equal(error.code, 'BAD_USER_INPUT');
      assert.equal(error.reason, 'FILE_TYPE_MISMATCH');
      return true;
    });
  });

  test('the merged video is served with byte ranges (206), also across chunk boundaries', async () => {
    const file = await videoFile(bigVideo);
    const { media } = await uploadPath(file.path, { endpoint, token: await member('org-range') });
    for (const [start, end] of [
      [0, 99],
      [CHUNK - 10, CHUNK + 9],
      [file.bytes.length - 50, file.bytes.length - 1],
    ]) {
      const part = await download(media.url, { range: `bytes=${start}-${end}` });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${file.bytes.length}`);
      assert.deepEqual(part.bytes, file.bytes.subarray(start, end + 1));
    }
    const tail = await download(media.url, { range: 'bytes=-16' });
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.bytes, file.bytes.subarray(-16));
  });

  test('another organisation sees nothing of an upload in progress and cannot abort it', async () => {
    const file = await videoFile(bigVideo);
    const owner = await member('org-private');
    const stranger = await member('org-stranger');
    await open(owner, file);
    await sendAll(owner, file, [0]);

    const seen = (await status(stranger, file.md5)).data!.uploadStatus;
    assert.deepEqual(
      {
        state: seen.state,
        uploadedChunks: seen.uploadedChunks,
        missingChunks: seen.missingChunks,
        fileName: seen.fileName,
        media: seen.media,
      },
      { state: 'NOT_STARTED', uploadedChunks: [], missingChunks: [], fileName: null, media: null },
    );
    const checked = await graphql<{ checkChunk: boolean }>(
      stack.gatewayUrl,
      'mutation ($m: String!) { checkChunk(fileMd5: $m, index: 0) }',
      { m: file.md5 },
      stranger,
    );
    assert.equal(checked.data!.checkChunk, false);
    const aborted = await graphql<{ abortUpload: boolean }>(
      stack.gatewayUrl,
      'mutation ($m: String!) { abortUpload(fileMd5: $m) }',
      { m: file.md5 },
      stranger,
    );
    assert.equal(aborted.data!.abortUpload, false);
    assert.equal(reasonOf(await sendChunk(stranger, file.md5, 1, chunkOf(file.bytes, 1))), 'NO_UPLOAD_SESSION');
    assert.equal(
      reasonOf(await merge(stranger, { fileMd5: file.md5, fileName: file.name, chunkTotal: 3 })),
      'NO_UPLOAD_SESSION',
    );

    const mine = (await status(owner, file.md5)).data!.uploadStatus;
    assert.equal(mine.state, 'UPLOADING');
    assert.deepEqual(mine.uploadedChunks, [0]);
  });

  test('abortUpload frees the session: the status is NOT_STARTED after, and a new upload starts afresh', async () => {
    const file = await videoFile(bigVideo);
    const token = await member('org-abort');
    await open(token, file);
    await sendAll(token, file, [0, 1]);
    const abort = () =>
      graphql<{ abortUpload: boolean }>(
        stack.gatewayUrl,
        'mutation ($m: String!) { abortUpload(fileMd5: $m) }',
        { m: file.md5 },
        token,
      );
    assert.equal((await abort()).data!.abortUpload, true);
    const after = (await status(token, file.md5)).data!.uploadStatus;
    assert.equal(after.state, 'NOT_STARTED');
    assert.deepEqual(after.uploadedChunks, []);
    assert.equal((await abort()).data!.abortUpload, false);
    assert.equal(reasonOf(await sendChunk(token, file.md5, 2, chunkOf(file.bytes, 2))), 'NO_UPLOAD_SESSION');
    assert.deepEqual((await open(token, file)).missingChunks, [0, 1, 2]);
  });

  test('chunk calls need a signed-in member', async () => {
    const anonymous = await graphql(stack.gatewayUrl, CHECK_FILE, {
      input: { fileMd5: md5(smallVideo), fileName: 'a.mp4', fileSize: 10 },
    });
    assert.equal(anonymous.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });
});
