import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@learnhub/platform/testing';
import { uploadPath } from '@learnhub/upload-client/node';
import { encodeClip, findFfprobe, FfprobeProber } from '@learnhub/media/testing';
import { graphql, PlatformStack } from './platform-stack';

/*
 * Transcoding end to end: videos uploaded in chunks through the gateway, converted by a real
 * jobs process with real ffmpeg, then served through the gateway as MP4s that ffprobe accepts.
 */

const MEDIA = 'id type mimeType url playable transcodeState transcodeProgress durationSeconds width height posterUrl';
const MEDIA_QUERY = `query ($id: ID!) { media(id: $id) { ${MEDIA} } }`;
const TASK =
  'id fileMd5 state stateCode attempts maxAttempts progress lastError leaseOwner finishedBy finishedAt createdAt';
const TASKS = `query ($filter: TranscodeTaskFilter) { transcodeTasks(filter: $filter) { total items { ${TASK} } } }`;

interface Media {
  id: string;
  type: string;
  mimeType: string;
  url: string;
  playable: boolean;
  transcodeState: string;
  transcodeProgress: number | null;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
  posterUrl: string | null;
}
interface Task {
  id: string;
  fileMd5: string;
  state: string;
  stateCode: number;
  attempts: number;
  finishedBy: string | null;
}

describe('transcoding through the gateway and a jobs process', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let dir: string;
  let member: string;
  let admin: string;
  const prober = new FfprobeProber(findFfprobe(process.env.FFPROBE_PATH));

  before(async () => {
    stack = await PlatformStack.start(
      { JOBS_POLL_MS: '200', JOBS_HEARTBEAT_MS: '300', TRANSCODE_CONCURRENCY: '2' },
      { jobs: 1 },
    );
    dir = await mkdtemp(join(tmpdir(), 'lh-transcode-e2e-'));
    member = await stack.token('u-member', ['member'], 'org-video');
    admin = await stack.token('u-admin', ['admin']);
  });
  after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Three seconds of test picture and tone, encoded with the given codecs into `name`. */
  const clip = async (name: string, codecs: string[]) => {
    const path = join(dir, name);
    await encodeClip(path, { seconds: 3, size: '320x240', fps: 15, codecs });
    return path;
  };
  const media = async (id: string) => {
    const result = await graphql<{ media: Media }>(stack.gatewayUrl, MEDIA_QUERY, { id }, member);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.media;
  };
  const transcoded = (id: string): Promise<Media> =>
    waitUntil(
      `media ${id} to be transcoded`,
      async () => {
        const current = await media(id);
        assert.notEqual(
          current.transcodeState,
          'FAILED',
          `the task failed:\n${stack.service('jobs-1').log().slice(-3000)}`,
        );
        return current.transcodeState === 'SUCCEEDED' && current;
      },
      90_000,
      async () => `still ${(await media(id)).transcodeState}`,
      200,
    );
  /** Fetches a URL the API handed out and checks what ffprobe makes of it. */
  const probeServed = async (url: string) => {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'video/mp4');
    const file = join(dir, `served-${Date.now()}.mp4`);
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    return prober.probe({ path: file });
  };

  test('an AVI (MPEG-4 part 2) is re-encoded: Media.url then serves an H.264/AAC MP4 that ffprobe accepts, with a poster', async () => {
    const avi = await clip('lecture.avi', ['-c:v', 'mpeg4', '-c:a', 'mp2']);
    const { media: uploaded } = await uploadPath(avi, { endpoint: `${stack.gatewayUrl}/graphql`, token: member });
    const before = await media(uploaded.id);
    assert.equal(before.type, 'VIDEO');
    assert.ok(['PENDING', 'PROCESSING', 'SUCCEEDED'].includes(before.transcodeState), before.transcodeState);
    assert.equal(before.width, 320, 'the merge recorded what its probe found');

    const after = await transcoded(uploaded.id);
    assert.equal(after.playable, true);
    assert.equal(after.mimeType, 'video/mp4');
    assert.match(new URL(after.url).pathname, /\.mp4$/);
    assert.ok(new URL(after.url).searchParams.get('signature'), 'an unpublished video is served by signed URL');
    assert.ok(Math.abs((after.durationSeconds ?? 0) - 3) < 0.5, `duration ${after.durationSeconds}`);
    const probe = await probeServed(after.url);
    assert.equal(probe.videoCodec, 'h264');
    assert.equal(probe.audioCodec, 'aac');
    assert.ok(probe.formatNames.includes('mp4'), probe.formatNames.join(','));
    const poster = await fetch(after.posterUrl!);
    assert.equal(poster.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...new Uint8Array(await poster.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8]);

    const tasks = await graphql<{ transcodeTasks: { total: number; items: Task[] } }>(
      stack.gatewayUrl,
      TASKS,
      { filter: { fileMd5: uploaded.id } },
      admin,
    );
    assert.equal(tasks.errors, undefined, JSON.stringify(tasks.errors));
    assert.equal(tasks.data!.transcodeTasks.total, 1);
    const [task] = tasks.data!.transcodeTasks.items;
    assert.equal(task.state, 'SUCCEEDED');
    assert.equal(task.stateCode, 2);
    assert.equal(task.attempts, 1);
    assert.equal(task.finishedBy, 'jobs-1');
    assert.match(stack.service('jobs-1').log(), new RegExp(`"fileMd5":"${uploaded.id}","mode":"encode"`));
  });

  test('an H.264/AAC MKV is remuxed (stream copy), not re-encoded', async () => {
    const mkv = await clip('talk.mkv', [
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
    ]);
    const { media: uploaded } = await uploadPath(mkv, { endpoint: `${stack.gatewayUrl}/graphql`, token: member });
    const after = await transcoded(uploaded.id);
    assert.match(stack.service('jobs-1').log(), new RegExp(`"fileMd5":"${uploaded.id}","mode":"remux"`));
    const probe = await probeServed(after.url);
    assert.equal(probe.videoCodec, 'h264');
    assert.equal(probe.audioCodec, 'aac');
  });

  test('a playable MP4 gets no task, and the admin operations refuse what they cannot do', async () => {
    const mp4 = await clip('ready.mp4', [
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
    ]);
    const { media: uploaded } = await uploadPath(mp4, { endpoint: `${stack.gatewayUrl}/graphql`, token: member });
    const ready = await media(uploaded.id);
    assert.equal(ready.transcodeState, 'NONE');
    assert.equal(ready.playable, true);

    const forbidden = await graphql(stack.gatewayUrl, TASKS, {}, member);
    assert.equal(forbidden.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const succeeded = (
      await graphql<{ transcodeTasks: { items: Task[] } }>(
        stack.gatewayUrl,
        TASKS,
        { filter: { state: 'SUCCEEDED' } },
        admin,
      )
    ).data!.transcodeTasks.items;
    assert.ok(succeeded.length >= 2);
    const cancel = await graphql(
      stack.gatewayUrl,
      `mutation ($id: ID!) { cancelTranscodeTask(id: $id) { id } }`,
      { id: succeeded[0].id },
      admin,
    );
    assert.equal(cancel.errors?.[0]?.extensions?.code, 'CONFLICT');
    assert.match(cancel.errors![0].message, /already succeeded/);
    const unknown = await graphql(stack.gatewayUrl, `mutation { retryTranscodeTask(id: "987654") { id } }`, {}, admin);
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const malformed = await graphql(stack.gatewayUrl, `mutation { retryTranscodeTask(id: "../1") { id } }`, {}, admin);
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });
});
