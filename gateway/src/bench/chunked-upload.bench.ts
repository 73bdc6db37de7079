import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { signToken } from '@learnhub/platform/auth';
import { DEV_JWT_SECRET } from '@learnhub/platform/config';
import { md5OfFile } from '@learnhub/platform/hashing';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { freePort, ServiceProcess } from '@learnhub/platform/testing';
import { uploadFile } from '@learnhub/media/client';
import { makeTestVideo, mp4FreeBox } from '../e2e/platform-stack';
import { cpuSeconds, runBenchmark, SAMPLING_NOTE, whileSampling } from '@learnhub/platform/bench';

/*
 * Resumable chunked upload, end to end: files of 256 MiB and 1 GiB are uploaded with the chunked
 * upload client (5 MiB chunks, 4 in parallel) through a gateway child process to a media
 * subgraph child process on the local object store. Measured in the same run for comparison:
 * the same bytes streamed straight into a LocalObjectStore (one put, no network), and a plain
 * MD5 pass over the file. RSS of both processes is sampled throughout each upload; it must not
 * follow the file size.
 *
 * The files are real MP4s: a tiny ffmpeg-made video followed by one MP4 `free` box of random
 * bytes, so chunk 0 sniffs as a video while the bulk is incompressible data.
 */

const MiB = 1024 * 1024;
const SIZES_MIB = [256, 1024];
const CHUNK_SIZE = 5 * MiB;
const CONCURRENCY = 4;
const ROUNDS = 3;
const cores = availableParallelism();
const repoRoot = resolve(__dirname, '../../..');

/** Writes a `mib` MiB MP4: `head` (a complete tiny MP4), then one `free` box of random bytes filling the rest. */
async function writeVideoFile(path: string, head: Buffer, mib: number): Promise<void> {
  const total = mib * MiB;
  const file = await open(path, 'w');
  try {
    const box = mp4FreeBox(8);
    box.writeUInt32BE(total - head.length, 0);
    await file.write(Buffer.concat([head, box]));
    for (let left = total - head.length - box.length; left > 0; left -= MiB)
      await file.write(randomBytes(Math.min(MiB, left)));
  } finally {
    await file.close();
  }
}

interface Round {
  directSeconds: number;
  /** CPU seconds of the direct put (this process, all threads). */
  directCpu: number;
  /** CPU seconds of client, gateway and media while the chunks flowed. */
  chunkCpu: number[];
  md5Seconds: number;
  chunkSeconds: number;
  mergeSeconds: number;
  totalSeconds: number;
  /** RSS growth of gateway and media, and what it grew from and to. */
  growth: number[];
  before: number[];
  peak: number[];
}

async function overwriteTail(path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(bytes, 0, bytes.length, (await file.stat()).size - bytes.length);
  } finally {
    await file.close();
  }
}

/** Writes dirty pages out before a measurement, so none pays for the writeback of the one before. */
function flushDirtyPages(): void {
  execFileSync('sync');
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

const goal = (ok: boolean) => (ok ? 'yes' : 'NO');

runBenchmark('chunked-bench', async ({ dir: workDir, services }) => {
  const [gatewayPort, mediaPort] = [await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'development',
    AUTH_JWT_SECRET: DEV_JWT_SECRET,
    LOG_LEVEL: 'warn',
    DATA_DIR: join(workDir, 'data'),
    UPLOAD_CHUNK_SIZE: String(CHUNK_SIZE),
    UPLOAD_CHUNKED_MAX_BYTES: String((Math.max(...SIZES_MIB) + 1) * MiB),
    GATEWAY_SECRET: randomUUID(),
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(gatewayPort),
    MEDIA_PORT: String(mediaPort),
    MEDIA_URL: `http://127.0.0.1:${mediaPort}/graphql`,
    PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
  };
  const media = await ServiceProcess.start(
    'media',
    require.resolve('@learnhub/media/main'),
    env,
    `http://127.0.0.1:${mediaPort}/health`,
    60_000,
  );
  services.push(media);
  const gateway = await ServiceProcess.start(
    'gateway',
    join(repoRoot, 'gateway/dist/main.js'),
    env,
    `http://127.0.0.1:${gatewayPort}/health`,
    60_000,
  );
  services.push(gateway);
  const endpoint = `http://127.0.0.1:${gatewayPort}/graphql`;
  const token = await signToken({ userId: 'bench', roles: ['member'], organisationId: 'bench-org' }, DEV_JWT_SECRET);
  const baselineRoot = join(workDir, 'baseline-store');
  const baseline = new LocalObjectStore({ root: baselineRoot, publicUrl: 'http://127.0.0.1/files' });

  const tinyVideo = join(workDir, 'tiny.mp4');
  await makeTestVideo(tinyVideo, { seconds: 1, size: '160x90', rate: 10 });
  const head = await readFile(tinyVideo);

  // Warm-up: JIT, connections, database and store folders.
  const warmUp = join(workDir, 'warm-up.mp4');
  await writeVideoFile(warmUp, head, 16);
  await uploadFile({ endpoint, token, path: warmUp, concurrency: CONCURRENCY });
  await baseline.put('bench', 'warm-up', createReadStream(warmUp));
  await rm(warmUp);

  console.log(
    `Chunked upload benchmark: client → gateway (pid ${gateway.pid}) → media (pid ${media.pid}), local object store; ` +
      `${CHUNK_SIZE / MiB} MiB chunks, ${CONCURRENCY} in parallel; Node ${process.version}; ${cores} cores.`,
  );
  const rows = [];
  for (const mib of SIZES_MIB) {
    const path = join(workDir, `upload-${mib}MiB.mp4`);
    await writeVideoFile(path, head, mib);
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // New bytes at the end make each round a new file, which the server has not seen.
      await overwriteTail(path, randomBytes(16));
      flushDirtyPages();
      const directCpuBefore = cpuSeconds(process.pid);
      const direct = await timed(() =>
        baseline.put('bench', `direct-${mib}`, createReadStream(path), { contentType: 'video/mp4' }),
      );
      const directCpu = cpuSeconds(process.pid) - directCpuBefore;
      await rm(join(baselineRoot, 'bench'), { recursive: true, force: true });
      flushDirtyPages();
      const md5Pass = await timed(() => md5OfFile(path));
      flushDirtyPages();

      // Phases from the client's progress reports: hashing + checkFile until the first, chunks until the last, then mergeChunks.
      let chunksStarted = 0;
      let chunksDone = 0;
      // CPU of client (this process), gateway and media while the chunks flow.
      const pids = [process.pid, gateway.pid, media.pid];
      let cpuAtStart: number[] = [];
      let chunkCpu: number[] = [];
      const sampled = await whileSampling([gateway.pid, media.pid], () =>
        timed(() =>
          uploadFile({
            endpoint,
            token,
            path,
            concurrency: CONCURRENCY,
            chunkSize: CHUNK_SIZE,
            onProgress: (p) => {
              const now = performance.now();
              if (p.uploadedChunks === 0) {
                chunksStarted = now;
                cpuAtStart = pids.map(cpuSeconds);
              }
              if (p.uploadedChunks === p.chunkTotal) {
                chunksDone = now;
                chunkCpu = pids.map((pid, i) => cpuSeconds(pid) - cpuAtStart[i]);
              }
            },
          }),
        ),
      );
      const uploadEnded = performance.now();
      const { result: uploaded, seconds: totalSeconds } = sampled.result;
      if (uploaded.instant || uploaded.media.fileMd5 !== md5Pass.result || Number(uploaded.media.size) !== mib * MiB) {
        throw new Error(
          `The upload of ${mib} MiB came back as ${JSON.stringify(uploaded)}; expected MD5 ${md5Pass.result}`,
        );
      }
      rounds.push({
        directSeconds: direct.seconds,
        directCpu,
        chunkCpu,
        md5Seconds: md5Pass.seconds,
        chunkSeconds: (chunksDone - chunksStarted) / 1000,
        // Only the mergeChunks call follows the last progress report (the RSS sampler's last read is negligible).
        mergeSeconds: (uploadEnded - chunksDone) / 1000,
        totalSeconds,
        growth: sampled.peak.map((peak, i) => peak - sampled.before[i]),
        before: sampled.before,
        peak: sampled.peak,
      });
    }
    await rm(path);

    const median = (pick: (round: Round) => number) => medianOf(rounds.map(pick));
    const directMiBs = mib / median((r) => r.directSeconds);
    const chunksMiBs = mib / median((r) => r.chunkSeconds);
    const mergeRatio = median((r) => r.mergeSeconds / r.md5Seconds);
    const chunkCpu = [0, 1, 2].map((i) => median((r) => r.chunkCpu[i]));
    const chunkCpuTotal = chunkCpu.reduce((a, b) => a + b, 0);
    // With every core busy and no other cost, the chunks could flow no faster than this.
    const cpuBoundMiBs = (cores * mib) / chunkCpuTotal;
    const growth = [0, 1].map((i) => Math.max(...rounds.map((r) => r.growth[i])));
    const worst = (i: number) => rounds.reduce((a, b) => (b.growth[i] > a.growth[i] ? b : a));
    rows.push({
      size: `${mib} MiB`,
      'direct put MiB/s': directMiBs.toFixed(1),
      'chunks MiB/s': chunksMiBs.toFixed(1),
      'chunks/direct': (chunksMiBs / directMiBs).toFixed(2),
      'end-to-end MiB/s': (mib / median((r) => r.totalSeconds)).toFixed(1),
      'e2e/direct': (mib / median((r) => r.totalSeconds) / directMiBs).toFixed(2),
      'merge s': median((r) => r.mergeSeconds).toFixed(2),
      'MD5 pass s': median((r) => r.md5Seconds).toFixed(2),
      'direct CPU s': median((r) => r.directCpu).toFixed(2),
      'chunks CPU s (client+gateway+media)': `${chunkCpuTotal.toFixed(2)} (${chunkCpu.map((c) => c.toFixed(2)).join('+')})`,
      'CPU bound chunks/direct': (cpuBoundMiBs / directMiBs).toFixed(2),
      'merge/MD5': mergeRatio.toFixed(2),
      'gateway RSS +MiB': `${growth[0].toFixed(1)} (${worst(0).before[0].toFixed(0)}→${worst(0).peak[0].toFixed(0)})`,
      'media RSS +MiB': `${growth[1].toFixed(1)} (${worst(1).before[1].toFixed(0)}→${worst(1).peak[1].toFixed(0)})`,
      goals: [
        `chunks/direct≥0.8: ${goal(chunksMiBs / directMiBs >= 0.8)}`,
        `merge/MD5≤1.2: ${goal(mergeRatio <= 1.2)}`,
        `RSS<64: ${goal(Math.max(...growth) < 64)}`,
      ].join(', '),
    });
  }
  console.table(rows);
  console.log(
    `Medians of ${ROUNDS} rounds per size; each round measures the three in turn, after writing dirty pages out (sync). ` +
      'direct put: the same file streamed into a LocalObjectStore in a sibling folder (one write, hashed on the way). ' +
      "chunks: from the first chunk request to the last chunk stored (after the client's one read that hashes the file and its chunks, and checkFile). " +
      'end-to-end: the whole uploadFile call (that read, checkFile, chunks, mergeChunks). ' +
      'merge: the mergeChunks call (join, verify, record). MD5 pass: md5OfFile over the same file. ' +
      'CPU: user + system seconds of all threads (/proc), for the put of this process, and of client, gateway and media while the chunks flowed; ' +
      `CPU bound: the chunk rate if the ${cores} cores did nothing else (cores × size / chunks CPU), over the direct put's rate. ` +
      `RSS: the largest VmRSS growth of any round during the upload, ${SAMPLING_NOTE}.`,
  );
});
