import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTestClips, type TestClips } from '@learnhub/media/testing';
import { freePort, waitUntil } from '@learnhub/platform/testing';
import { ChunkGate } from '../testing/chunk-gate';
import { writePaddedVideo } from '../testing/padded-video';
import { PlatformStack } from './platform-stack';

/*
 * The upload CLI (`npm run upload`) as authors run it: a real child process of
 * @learnhub/upload-client/cli against the services, a jobs worker and the gateway as real processes. Interrupted with SIGKILL or SIGINT
 * while a chunk is held at a gate, it resumes when run again.
 */

const MiB = 1024 * 1024;
const CLI = require.resolve('@learnhub/upload-client/cli');

/** One line of `--json` output (see the CLI's README section). */
type FileOutcome =
  | {
      file: string;
      ok: true;
      mediaId: string;
      size: number;
      url: string;
      instant: boolean;
      resumed: boolean;
      chunkTotal: number;
      reusedChunks: number;
      sentChunks: number;
      transport: string;
      playable: boolean;
      transcodeState: string;
    }
  | { file: string; ok: false; error: { code: string; reason?: string; message: string } };
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process with its output collected; `done` resolves when it exits. */
function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<Run>; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const done = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, done, output: () => stdout + stderr };
}

const results = (run: Run): FileOutcome[] =>
  run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FileOutcome);

describe('the upload CLI', { timeout: 600_000 }, () => {
  let stack: PlatformStack;
  let gate: ChunkGate;
  let clips: TestClips;
  let dir: string;
  let token: string;
  const children = new Set<ChildProcess>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-upload-cli-'));
    clips = await makeTestClips();
    // The gate is the stack's public URL too, so chunk upload URLs lead through it.
    gate = await ChunkGate.start();
    stack = await PlatformStack.start({ PUBLIC_URL: gate.origin }, { jobs: 1 });
    gate.target = new URL(stack.gatewayUrl);
    token = await stack.token('author-cli', ['member'], 'org-cli');
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await stack?.stop();
    await gate?.close();
    await clips?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    LEARNHUB_ENDPOINT: `${stack.gatewayUrl}/graphql`,
    LEARNHUB_TOKEN: token,
    LEARNHUB_UPLOAD_STATE: join(dir, 'state.json'),
    ...extra,
  });
  async function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
    const started = startCli(args, env(extra));
    children.add(started.child);
    const run = await started.done;
    children.delete(started.child);
    return run;
  }

  /** Runs the CLI through the gate until `passed` chunks went through and the next is held, then sends it `signal`. */
  async function interrupted(args: string[], passed: number, signal: NodeJS.Signals): Promise<Run> {
    gate.holdAfter(passed);
    try {
      const started = startCli(['--endpoint', gate.url(), ...args], env());
      children.add(started.child);
      await waitUntil(
        `${passed} chunks through the gate and the next held`,
        () => gate.passed >= passed && gate.held >= 1,
        60_000,
        started.output,
      );
      started.child.kill(signal);
      const run = await started.done;
      children.delete(started.child);
      return run;
    } finally {
      gate.open();
    }
  }

  test('--json prints one result per file; the upload is served byte-identical', async () => {
    const a = await writePaddedVideo(dir, 'intro.mp4', clips.mp4, 11 * MiB);
    const b = await writePaddedVideo(dir, 'outro.mp4', clips.mp4, 2 * MiB);
    const run = await cli(['--json', '--tags', 'week 1', a.path, b.path]);
    assert.equal(run.code, 0, run.stderr);
    const [first, second] = results(run);
    assert.ok(first.ok && second.ok);
    assert.deepEqual(
      [first.file, first.mediaId, first.size, first.chunkTotal, first.sentChunks, first.transport, first.playable],
      [a.path, a.md5, a.bytes.length, 3, 3, 'urls', true],
    );
    assert.deepEqual([second.mediaId, second.chunkTotal], [b.md5, 1]);
    assert.equal(md5(Buffer.from(await (await fetch(first.url)).arrayBuffer())), a.md5);
    assert.equal(run.stderr, '', 'no progress lines with --json and no terminal');

    const again = await cli(['--json', a.path]);
    const [instant] = results(again);
    assert.ok(instant.ok);
    assert.deepEqual([again.code, instant.instant, instant.sentChunks], [0, true, 0]);
  });

  test('killed with SIGKILL mid-upload, the same command resumes: nothing hashed again, only missing chunks sent', async () => {
    const video = await writePaddedVideo(dir, 'lecture-kill.mp4', clips.mp4, 26 * MiB);
    const args = ['--json', '--concurrency', '1', video.path];
    const killed = await interrupted(args, 2, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as {
      uploads: Record<string, { fileMd5: string }>;
    };
    assert.deepEqual(
      Object.values(state.uploads).map((record) => record.fileMd5),
      [video.md5],
    );

    const resumed = await cli(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    const [result] = results(resumed);
    assert.ok(result.ok);
    assert.deepEqual([result.resumed, result.reusedChunks, result.sentChunks, result.chunkTotal], [true, 2, 4, 6]);
    assert.equal(md5(Buffer.from(await (await fetch(result.url)).arrayBuffer())), video.md5);
    const after = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { uploads: object };
    assert.deepEqual(after.uploads, {}, 'a finished upload is forgotten');
  });

  test('Ctrl-C (SIGINT) stops with exit code 130 and says how to resume; running it again finishes the upload', async () => {
    const video = await writePaddedVideo(dir, 'lecture-int.mp4', clips.mp4, 16 * MiB);
    const stopped = await interrupted(['--concurrency', '1', video.path], 1, 'SIGINT');
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(
      stopped.stdout,
      /✘ .*lecture-int\.mp4: The upload was aborted\. \[ABORTED\] Run the same command again to resume\./,
    );

    const resumed = await cli([video.path]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stdout,
      new RegExp(
        `✔ .*lecture-int\\.mp4 → media ${video.md5} \\(16\\.0 MiB; resumed: 1 of 4 chunks were already stored, 3 sent; playable\\)`,
      ),
    );
    assert.match(resumed.stderr, /lecture-int\.mp4: uploading 3 of 4 chunks \(1 already stored\)/);
  });

  test('a refused file is reported with the server code, reason and message (exit 1), and the others still go up', async () => {
    const pdf = join(dir, 'handout.mp4');
    await writeFile(pdf, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100_000, 1)]));
    const good = await writePaddedVideo(dir, 'after-refusal.mp4', clips.mp4, 1 * MiB);
    const run = await cli(['--json', pdf, good.path]);
    assert.equal(run.code, 1);
    const [refused, uploaded] = results(run);
    assert.ok(!refused.ok);
    assert.deepEqual([refused.error.code, refused.error.reason], ['BAD_USER_INPUT', 'FILE_TYPE_MISMATCH']);
    assert.match(refused.error.message, /\.pdf/);
    assert.equal(uploaded.ok, true);

    const human = await cli([pdf]);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /✘ .*handout\.mp4: .* \[BAD_USER_INPUT FILE_TYPE_MISMATCH\]/);
  });

  test('--wait follows transcoding until the video is playable', async () => {
    const run = await cli(['--json', '--wait', clips.avi]);
    assert.equal(run.code, 0, run.stderr);
    const [result] = results(run);
    assert.ok(result.ok);
    assert.deepEqual([result.playable, result.transcodeState], [true, 'SUCCEEDED']);
    assert.match(result.url, /\.mp4\?/, 'the URL serves the transcoded MP4');
  });

  test('wrong usage and an unreachable server have their own exit codes and messages', async () => {
    const video = await writePaddedVideo(dir, 'usage.mp4', clips.mp4, 1 * MiB);
    const noToken = await cli([video.path], { LEARNHUB_TOKEN: '' });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /No token: pass --token or set LEARNHUB_TOKEN/);

    const missing = await cli([video.path, join(dir, 'nope.mp4')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot open .*nope\.mp4: no such file\. Nothing was uploaded\./);

    const badToken = await cli(['--token', 'expired', video.path]);
    assert.equal(badToken.code, 1);
    assert.match(badToken.stdout, /\[UNAUTHENTICATED\] Check the token/);

    const closed = await freePort();
    const unreachable = await cli(['--json', '--retries', '0', '--endpoint', `http://127.0.0.1:${closed}`, video.path]);
    assert.equal(unreachable.code, 3);
    const [result] = results(unreachable);
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'NETWORK_ERROR');
    assert.match(result.error.message, new RegExp(`Could not reach http://127\\.0\\.0\\.1:${closed}`));
  });
});
