import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { signToken } from '@learnhub/platform/auth/token';
import { DEV_JWT_SECRET } from '@learnhub/platform/config';
import { LocalObjectStore } from '@learnhub/platform/object-store/local-object-store';
import { freePort, ServiceProcess } from '@learnhub/platform/testing/service-process';
import { md5OfFile, uploadFile } from '@learnhub/media/client/chunked-upload-client';
import { makeTestVideo, mp4FreeBox } from '../e2e/platform-stack';
import { benchWorkspace, SAMPLING_NOTE, whileSampling } from './bench-harness';

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
const repoRoot = resolve(__dirname, '../../..');




/** Writes a `mib` MiB MP4: `head` (a complete tiny MP4), then one `free` box of random bytes filling the rest. */
async function writeVideoFile(path: string, head: Buffer, mib: number): Promise<void> {
  const total = mib * MiB;
  const file = await open(path, 'w');
  try {
    const box = mp4FreeBox(8);
    box.writeUInt32BE(total - head.length, 0);
    await file.write(Buffer.concat([head, box]));
    for (let left = total - head.length - box.length; left > 0; left -= MiB) await file.write(randomBytes(Math.min(MiB, left)));
  } finally {
    await file.close();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

const goal = (ok: boolean) => (ok ? 'yes' : 'NO');

async function main(): Promise<void> {
  if (!existsSync('/proc/self/status')) throw new Error('This benchmark reads RSS from /proc/<pid>/status: run it on Linux.');
  const { dir: workDir, services, cleanUp } = await benchWorkspace('chunked-bench');
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
  try {
    const media = await ServiceProcess.start('media', join(repoRoot, 'subgraphs/media/dist/main.js'), env, `http://127.0.0.1:${mediaPort}/health`, 60_000);
    services.push(media);
    const gateway = await ServiceProcess.start('gateway', join(repoRoot, 'gateway/dist/main.js'), env, `http://127.0.0.1:${gatewayPort}/health`, 60_000);
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
        `${CHUNK_SIZE / MiB} MiB chunks, ${CONCURRENCY} in parallel; Node ${process.version}.`,
    );
    const rows = [];
    for (const mib of SIZES_MIB) {
      const path = join(workDir, `upload-${mib}MiB.mp4`);
      await writeVideoFile(path, head, mib);

      const direct = await timed(() => baseline.put('bench', `direct-${mib}`, createReadStream(path), { contentType: 'video/mp4' }));
      await rm(join(baselineRoot, 'bench'), { recursive: true, force: true });
      const md5Pass = await timed(() => md5OfFile(path));

      // Phases from the client's progress reports: hashing + checkFile until the first, chunks until the last, then mergeChunks.
      let chunksStarted = 0;
      let chunksDone = 0;
      const sampled = await whileSampling([gateway.pid, media.pid], () =>
        timed(() =>
          uploadFile({
            endpoint,
            token,
            path,
            concurrency: CONCURRENCY,
            onProgress: (p) => {
              const now = performance.now();
              if (p.uploadedChunks === 0) chunksStarted = now;
              if (p.uploadedChunks === p.chunkTotal) chunksDone = now;
            },
          }),
        ),
      );
      const uploadEnded = performance.now();
      const { result: uploaded, seconds: totalSeconds } = sampled.result;
      if (uploaded.instant || uploaded.media.fileMd5 !== md5Pass.result || Number(uploaded.media.size) !== mib * MiB) {
        throw new Error(`The upload of ${mib} MiB came back as ${JSON.stringify(uploaded)}; expected MD5 ${md5Pass.result}`);
      }
      const chunkSeconds = (chunksDone - chunksStarted) / 1000;
      // Only the mergeChunks call follows the last progress report (the RSS sampler's last read is negligible).
      const mergeSeconds = (uploadEnded - chunksDone) / 1000;
      await rm(path);

      const directMiBs = mib / direct.seconds;
      const growth = sampled.peak.map((peak, i) => peak - sampled.before[i]);
      rows.push({
        size: `${mib} MiB`,
        'direct put MiB/s': directMiBs.toFixed(1),
        'chunks MiB/s': (mib / chunkSeconds).toFixed(1),
        'chunks/direct': (mib / chunkSeconds / directMiBs).toFixed(2),
        'end-to-end MiB/s': (mib / totalSeconds).toFixed(1),
        'e2e/direct': (mib / totalSeconds / directMiBs).toFixed(2),
        'merge s': mergeSeconds.toFixed(2),
        'MD5 pass s': md5Pass.seconds.toFixed(2),
        'merge/MD5': (mergeSeconds / md5Pass.seconds).toFixed(2),
        'gateway RSS +MiB': `${growth[0].toFixed(1)} (${sampled.before[0].toFixed(0)}→${sampled.peak[0].toFixed(0)})`,
        'media RSS +MiB': `${growth[1].toFixed(1)} (${sampled.before[1].toFixed(0)}→${sampled.peak[1].toFixed(0)})`,
        goals: [
          `chunks/direct≥0.8: ${goal(mib / chunkSeconds / directMiBs >= 0.8)}`,
          `merge/MD5≤1.2: ${goal(mergeSeconds / md5Pass.seconds <= 1.2)}`,
          `RSS<64: ${goal(Math.max(...growth) < 64)}`,
        ].join(', '),
      });
    }
    console.table(rows);
    console.log(
      'direct put: the same file streamed into a LocalObjectStore in a sibling folder (one write, hashed on the way). ' +
        'chunks: from the first chunk request to the last chunk stored (after the client has hashed the file and called checkFile). ' +
        'end-to-end: the whole uploadFile call (client MD5 pass, checkFile, chunks, mergeChunks). ' +
        'merge: the mergeChunks call (join, verify, record). MD5 pass: md5OfFile over the same file. ' +
        `RSS: VmRSS growth during the upload, ${SAMPLING_NOTE}.`,
    );
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
