import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { makeTestClips } from '@learnhub/media/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { ChunkGate } from '../testing/chunk-gate';
import { chromiumFor, launchChromium } from '../testing/chromium';
import { PlatformStack } from './platform-stack';

/*
 * @learnhub/upload-client in a real browser (Debian's Chromium, headless, through playwright-core):
 * a page on its own origin makes a 64 MiB video in memory, uploads it with the client bundled by
 * esbuild (hashing in its module Web Worker, chunks PUT to chunk upload URLs), is reloaded half-way
 * through, makes the same file again and resumes from what localStorage remembers. The file the
 * platform then serves has the MD5 of the bytes the page made.
 */

const MiB = 1024 * 1024;
const FILE_SIZE = 64 * MiB;
const CHUNK = 5 * MiB;
const CHUNK_TOTAL = Math.ceil(FILE_SIZE / CHUNK);
const HALF = Math.floor(CHUNK_TOTAL / 2);

const executablePath = chromiumFor('the upload client in a browser');

/**
 * The page's file: `base` (a small real MP4) and an MP4 `free` box filling it up to `size` bytes
 * with xorshift32 words from a fixed seed. Written without TypeScript-only syntax in its body and
 * with no outside references, so the page runs the very same function (from its source text).
 */
function deterministicVideo(base: Uint8Array, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(base, 0);
  const boxSize = size - base.length;
  const view = new DataView(bytes.buffer);
  view.setUint32(base.length, boxSize);
  bytes.set([0x66, 0x72, 0x65, 0x65], base.length + 4);
  let state = 2463534242;
  for (let at = base.length + 8; at < size; at += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const left = size - at;
    if (left >= 4) view.setUint32(at, state);
    else for (let i = 0; i < left; i++) bytes[at + i] = (state >>> (24 - 8 * i)) & 0xff;
  }
  return bytes;
}

/** The app page: it makes the file, then uploads it when the test calls `upload()`, keeping what happens in `window.report`. */
const appPage = (endpoint: string, token: string) => `<!doctype html><meta charset="utf-8"><title>upload</title>
<script type="module">
import { uploadFile } from '/upload-client.js';
const deterministicVideo = ${deterministicVideo.toString()};
const base = new Uint8Array(await (await fetch('/base.mp4')).arrayBuffer());
// The same name, size and date after a reload: the resume store knows the file by them.
const file = new File([deterministicVideo(base, ${FILE_SIZE})], 'browser-lecture.mp4', { type: 'video/mp4', lastModified: 1700000000000 });
window.report = { progress: [], phases: [] };
window.upload = () =>
  uploadFile(file, {
    endpoint: ${JSON.stringify(endpoint)},
    token: ${JSON.stringify(token)},
    onProgress: (p) => {
      window.report.progress = p;
      if (window.report.phases.at(-1) !== p.phase) window.report.phases.push(p.phase);
    },
  }).then(
    (result) => (window.report.result = result),
    (error) => (window.report.error = { name: error.name, code: error.code, reason: error.reason, message: error.message }),
  );
window.ready = true;
</script>`;

describe('the upload client in a browser, reloaded half-way', { skip: !executablePath, timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let gate: ChunkGate;
  let browser: Browser;
  let site: Server;
  let origin: string;
  let bundleDir: string;
  let expectedMd5: string;
  let token: string;
  /** Paths the page's server was asked for, in order. */
  const served: string[] = [];

  before(async () => {
    bundleDir = await mkdtemp(join(tmpdir(), 'lh-upload-browser-'));
    // The client and its hashing worker, bundled side by side: the client finds the worker next to itself.
    await build({
      entryPoints: {
        'upload-client': require.resolve('@learnhub/upload-client'),
        'hash-worker': require.resolve('@learnhub/upload-client/hash-worker'),
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      outdir: bundleDir,
      logLevel: 'warning',
    });
    const clips = await makeTestClips();
    const base = await readFile(clips.mp4);
    await clips.remove();
    expectedMd5 = createHash('md5').update(deterministicVideo(base, FILE_SIZE)).digest('hex');

    site = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      served.push(path);
      const script = { '/upload-client.js': 'upload-client.js', '/hash-worker.js': 'hash-worker.js' }[path];
      if (script) {
        void readFile(join(bundleDir, script)).then((body) =>
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
        );
      } else if (path === '/base.mp4') res.writeHead(200, { 'content-type': 'video/mp4' }).end(base);
      else if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(appPage(gate.url(), token));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    origin = `http://localhost:${(site.address() as AddressInfo).port}`;

    // The gate is the gateway's public URL too, so the chunk PUTs lead through it and can be held.
    gate = await ChunkGate.start();
    stack = await PlatformStack.start({ CORS_ORIGINS: origin, PUBLIC_URL: gate.origin });
    gate.target = new URL(stack.gatewayUrl);
    token = await stack.token('author-browser', ['member'], 'org-browser');
    browser = await launchChromium(executablePath!);
  });
  after(async () => {
    await browser?.close();
    site?.close();
    await stack?.stop();
    await gate?.close();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  interface Report {
    progress: { phase: string; sentChunks: number; chunkTotal: number };
    phases: string[];
    result?: {
      fileMd5: string;
      resumed: boolean;
      reusedChunks: number;
      sentChunks: number;
      chunkTotal: number;
      transport: string;
      media: { id: string; url: string };
    };
    error?: { name: string; code: string; reason?: string; message: string };
  }
  const report = (page: Page) => page.evaluate(() => (globalThis as unknown as { report: Report }).report);
  const ready = (page: Page) => page.waitForFunction(() => 'ready' in globalThis, undefined, { timeout: 60_000 });

  test('a 64 MiB upload resumes after a reload from the chunks the server holds, without hashing again', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    try {
      await page.goto(origin);
      await ready(page);
      // Half the chunks reach the server; the rest are held at the gate when the page reloads.
      gate.holdAfter(HALF);
      await page.evaluate(() => void (globalThis as unknown as { upload: () => Promise<void> }).upload());
      await waitUntil(
        `${HALF} chunks through the gate and the next held`,
        () => gate.passed >= HALF && gate.held >= 1,
        120_000,
        async () => JSON.stringify({ ...(await report(page)), errors }),
      );
      const before = await report(page);
      assert.equal(before.error, undefined, JSON.stringify(before.error));
      assert.deepEqual(before.phases, ['hashing', 'uploading']);
      assert.ok(served.includes('/hash-worker.js'), 'the file was hashed in the module Web Worker');

      await page.reload();
      gate.open();
      await ready(page);
      const hashWorkerLoads = served.filter((path) => path === '/hash-worker.js').length;
      await page.evaluate(() => (globalThis as unknown as { upload: () => Promise<void> }).upload());
      const after = await report(page);
      assert.equal(after.error, undefined, JSON.stringify(after.error));
      assert.deepEqual(errors, []);
      const result = after.result!;
      assert.deepEqual([result.resumed, result.chunkTotal, result.transport], [true, CHUNK_TOTAL, 'urls']);
      assert.ok(result.reusedChunks >= HALF, `${result.reusedChunks} chunks were already stored`);
      assert.equal(result.reusedChunks + result.sentChunks, CHUNK_TOTAL);
      assert.equal(
        served.filter((path) => path === '/hash-worker.js').length,
        hashWorkerLoads,
        'the reloaded page did not hash the file again: its MD5s came from localStorage',
      );
      assert.deepEqual(after.phases, ['uploading', 'merging', 'done']);

      assert.equal(result.fileMd5, expectedMd5, "the page's MD5 is the file's");
      assert.equal(result.media.id, expectedMd5);
      const stored = Buffer.from(await (await fetch(result.media.url)).arrayBuffer());
      assert.equal(stored.length, FILE_SIZE);
      assert.equal(
        createHash('md5').update(stored).digest('hex'),
        expectedMd5,
        'the server holds the bytes the page made',
      );
      assert.equal(
        await page.evaluate(
          () =>
            Object.keys((globalThis as unknown as { localStorage: object }).localStorage).filter((key) =>
              key.startsWith('learnhub-upload:'),
            ).length,
        ),
        0,
        'a finished upload is forgotten',
      );
    } finally {
      await page.close();
    }
  });
});
