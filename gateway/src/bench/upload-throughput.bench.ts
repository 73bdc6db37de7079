import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@learnhub/platform/auth';
import { cpuSeconds, runBenchmark, SAMPLING_NOTE, whileSampling } from '@learnhub/platform/bench';
import { md5OfFile } from '@learnhub/platform/hashing';
import { LocalObjectStore, type ObjectStore } from '@learnhub/platform/object-store';
import { freePort, S3RVER_KEY, ServiceProcess, startS3rverStore } from '@learnhub/platform/testing';
import type { TransportName, UploadProgress } from '@learnhub/upload-client';
import { nodeHttpFetch, uploadPath } from '@learnhub/upload-client/node';
import { makeTestVideo, mp4FreeBox } from '../e2e/platform-stack';

/*
 * Upload throughput, side by side in one run: a 1 GiB video in 5 MiB chunks, 4 in parallel, sent
 * by the upload client as Node uses it (`uploadPath` of @learnhub/upload-client/node) through a gateway process to a media process, by chunk URLs (the
 * default) and by GraphQL multipart, against writing the same bytes straight to the store:
 * - local store: the file streamed into a LocalObjectStore in this process (one put);
 * - S3 (s3rver in this process): the same parts PUT by this process to presigned part URLs, 4 at a
 *   time, over the same HTTP client (nodeHttpFetch), with no API around them. With URLs the client's chunks go to s3rver directly.
 * CPU seconds of gateway and media while the chunks flow, their RSS growth, and the merge
 * (join + verify) against one MD5 pass over the file.
 */

const MiB = 1024 * 1024;
const FILE_MIB = Number(process.env.UPLOAD_BENCH_MIB ?? 1024);
const CHUNK = 5 * MiB;
const CONCURRENCY = 4;
const ROUNDS = Number(process.env.UPLOAD_BENCH_ROUNDS ?? 3);
const TRANSPORTS: TransportName[] = ['urls', 'multipart'];
const cores = availableParallelism();
const script = (entry: string) => require.resolve(entry);

interface Sent {
  chunkSeconds: number;
  mergeSeconds: number;
  /** CPU seconds of gateway and media from the first chunk to the last. */
  cpu: [number, number];
  rssGrowth: [number, number];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (since: number) => (performance.now() - since) / 1000;
const flushDirtyPages = () => execFileSync('sync');

/** A real MP4 of `mib` MiB: a one-second clip, then one MP4 `free` box of random bytes (incompressible, like video). */
async function writeVideo(path: string, dir: string, mib: number): Promise<void> {
  const clip = join(dir, 'clip.mp4');
  await makeTestVideo(clip, { seconds: 1, size: '160x90', rate: 10 });
  const head = await readFile(clip);
  const file = await open(path, 'w');
  try {
    const box = mp4FreeBox(8);
    box.writeUInt32BE(mib * MiB - head.length, 0);
    await file.write(Buffer.concat([head, box]));
    for (let left = mib * MiB - head.length - box.length; left > 0; left -= MiB)
      await file.write(randomBytes(Math.min(MiB, left)));
  } finally {
    await file.close();
  }
}

/** Gives the file new last bytes, so each round is a file the server has not seen. */
async function renew(path: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(randomBytes(16), 0, 16, (await file.stat()).size - 16);
  } finally {
    await file.close();
  }
}

async function startStack(dir: string, services: ServiceProcess[], extraEnv: NodeJS.ProcessEnv) {
  const ports = { gateway: await freePort(), media: await freePort() };
  const secret = randomUUID() + randomUUID();
  const env = {
    NODE_ENV: 'development',
    AUTH_JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
    DATA_DIR: join(dir, 'data'),
    UPLOAD_CHUNK_SIZE: String(CHUNK),
    UPLOAD_MAX_FILE_BYTES: String((FILE_MIB + 1) * MiB),
    GATEWAY_SECRET: randomUUID(),
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.gateway),
    MEDIA_PORT: String(ports.media),
    MEDIA_URL: `http://127.0.0.1:${ports.media}/graphql`,
    PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
    ...extraEnv,
  };
  const health = (port: number) => `http://127.0.0.1:${port}/health`;
  const media = await ServiceProcess.start('media', script('@learnhub/media/main'), env, health(ports.media), 60_000);
  services.push(media);
  const gateway = await ServiceProcess.start(
    'gateway',
    script('@learnhub/gateway/main'),
    env,
    health(ports.gateway),
    60_000,
  );
  services.push(gateway);
  const token = await signToken({ userId: 'bench', roles: ['member'], organisationId: 'bench-org' }, secret);
  return { media, gateway, token, endpoint: `http://127.0.0.1:${ports.gateway}/graphql` };
}

type Stack = Awaited<ReturnType<typeof startStack>>;

/** One upload with the client, timed by its phases, with gateway and media CPU and RSS around the chunks. */
async function send(stack: Stack, path: string, transport: TransportName, md5: string): Promise<Sent> {
  const pids = [stack.gateway.pid, stack.media.pid];
  let chunksFrom = 0;
  let chunksTo = 0;
  let cpuFrom: number[] = [];
  let cpu: number[] = [];
  const onProgress = (p: UploadProgress) => {
    if (p.phase === 'uploading' && chunksFrom === 0) {
      chunksFrom = performance.now();
      cpuFrom = pids.map(cpuSeconds);
    }
    if (p.phase === 'merging' && chunksTo === 0) {
      chunksTo = performance.now();
      cpu = pids.map((pid, i) => cpuSeconds(pid) - cpuFrom[i]);
    }
  };
  const sampled = await whileSampling(pids, () =>
    uploadPath(path, {
      endpoint: stack.endpoint,
      token: stack.token,
      transport,
      concurrency: CONCURRENCY,
      resumeStore: null,
      onProgress,
    }),
  );
  const ended = performance.now();
  const { media, instant } = sampled.result;
  if (instant || media.fileMd5 !== md5 || Number(media.size) !== FILE_MIB * MiB)
    throw new Error(`The upload came back as ${JSON.stringify(sampled.result)}; expected MD5 ${md5}`);
  return {
    chunkSeconds: (chunksTo - chunksFrom) / 1000,
    mergeSeconds: (ended - chunksTo) / 1000,
    cpu: [cpu[0], cpu[1]],
    rssGrowth: [sampled.peak[0] - sampled.before[0], sampled.peak[1] - sampled.before[1]],
  };
}

/**
 * The same parts PUT straight to presigned part URLs of `store`, `CONCURRENCY` at a time (MD5s
 * computed beforehand); answers the seconds the PUTs took and those the store took to join them.
 */
async function putPartsDirectly(
  store: ObjectStore,
  path: string,
  partMd5s: string[],
): Promise<{ putSeconds: number; joinSeconds: number }> {
  const key = `direct/${randomUUID()}`;
  const uploadId = await store.createMultipart('bench', key, { partSize: CHUNK });
  const file = await open(path, 'r');
  const started = performance.now();
  let elapsed = 0;
  try {
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < partMd5s.length; index = next++) {
        const size = Math.min(CHUNK, FILE_MIB * MiB - index * CHUNK);
        const bytes = Buffer.allocUnsafe(size);
        await file.read(bytes, 0, size, index * CHUNK);
        const request = await store.partUploadUrl('bench', key, uploadId, index + 1, {
          md5: partMd5s[index],
          size,
          expirySeconds: 3600,
        });
        if (!request) throw new Error('The store gives no part URLs.');
        const response = await nodeHttpFetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: bytes,
        });
        if (!response.ok) throw new Error(`A direct part PUT answered ${response.status}: ${await response.text()}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    elapsed = seconds(started);
  } finally {
    await file.close();
  }
  // Completed and deleted rather than aborted: s3rver cannot abort a multipart upload.
  const parts = partMd5s.map((etag, index) => ({ partNumber: index + 1, etag }));
  const joinStarted = performance.now();
  await store.completeMultipart('bench', key, uploadId, parts);
  const joinSeconds = seconds(joinStarted);
  await store.delete('bench', key);
  return { putSeconds: elapsed, joinSeconds };
}

/** The MD5 of each part of the file, as the parts are cut. */
async function partMd5sOf(path: string): Promise<string[]> {
  const md5s: string[] = [];
  for (let offset = 0; offset < FILE_MIB * MiB; offset += CHUNK)
    md5s.push(await md5OfFile(path, { offset, length: Math.min(CHUNK, FILE_MIB * MiB - offset) }));
  return md5s;
}

const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
const f = (n: number, digits = 2) => n.toFixed(digits);

runBenchmark('upload-throughput-bench', async ({ dir, services }) => {
  const path = join(dir, 'lecture.mp4');
  await writeVideo(path, dir, FILE_MIB);
  console.log(
    `Upload throughput: a ${FILE_MIB} MiB video, ${CHUNK / MiB} MiB chunks, ${CONCURRENCY} in parallel, ${ROUNDS} rounds; ` +
      `client (this process) → gateway → media; Node ${process.version}; ${cores} cores.\n`,
  );

  for (const storeName of ['local', 's3'] as const) {
    const s3 = storeName === 's3' ? await startS3rverStore() : undefined;
    try {
      const s3Env: NodeJS.ProcessEnv = s3
        ? {
            S3_ENDPOINT: s3.endpoint,
            S3_ACCESS_KEY: S3RVER_KEY,
            S3_SECRET_KEY: S3RVER_KEY,
            S3_BUCKET_PREFIX: 'bench-media-',
          }
        : {};
      const stack = await startStack(join(dir, storeName), services, s3Env);
      const direct: ObjectStore =
        s3?.store ?? new LocalObjectStore({ root: join(dir, 'direct'), publicUrl: 'http://127.0.0.1/files' });
      const rounds: { direct: number; join?: number; md5: number; sent: Record<TransportName, Sent> }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        await renew(path);
        flushDirtyPages();
        let directSeconds: number;
        let joinSeconds: number | undefined;
        if (s3)
          ({ putSeconds: directSeconds, joinSeconds } = await putPartsDirectly(direct, path, await partMd5sOf(path)));
        else {
          const started = performance.now();
          await direct.put('bench', 'direct', createReadStream(path), { contentType: 'video/mp4' });
          directSeconds = seconds(started);
          await direct.delete('bench', 'direct');
        }
        flushDirtyPages();
        const md5Started = performance.now();
        const md5 = await md5OfFile(path);
        const md5Seconds = seconds(md5Started);
        const sent = {} as Record<TransportName, Sent>;
        for (const transport of TRANSPORTS) {
          // New last bytes: each upload is of a file the server has not seen (no instant upload).
          if (transport !== TRANSPORTS[0]) await renew(path);
          flushDirtyPages();
          sent[transport] = await send(
            stack,
            path,
            transport,
            transport === TRANSPORTS[0] ? md5 : await md5OfFile(path),
          );
        }
        rounds.push({ direct: directSeconds, join: joinSeconds, md5: md5Seconds, sent });
      }
      await Promise.all([stack.gateway.stop('SIGTERM'), stack.media.stop('SIGTERM')]);

      const directMiBs = FILE_MIB / median(rounds.map((r) => r.direct));
      const GiB = FILE_MIB / 1024;
      const rows = TRANSPORTS.map((transport) => {
        const pick = (get: (s: Sent) => number) => median(rounds.map((r) => get(r.sent[transport])));
        const mibs = FILE_MIB / pick((s) => s.chunkSeconds);
        return {
          store: storeName,
          transport,
          'chunks MiB/s': f(mibs, 1),
          'direct MiB/s': f(directMiBs, 1),
          'chunks/direct': f(mibs / directMiBs),
          'gateway CPU s/GiB': f(pick((s) => s.cpu[0]) / GiB),
          'media CPU s/GiB': f(pick((s) => s.cpu[1]) / GiB),
          'gateway RSS +MiB': f(Math.max(...rounds.map((r) => r.sent[transport].rssGrowth[0])), 1),
          'media RSS +MiB': f(Math.max(...rounds.map((r) => r.sent[transport].rssGrowth[1])), 1),
          'merge s': f(pick((s) => s.mergeSeconds)),
          'merge/MD5': f(median(rounds.map((r) => r.sent[transport].mergeSeconds / r.md5))),
          // On S3 the store joins the parts itself; s3rver does it on these same cores, which S3 does not.
          'store join s': s3 ? f(median(rounds.map((r) => r.join ?? 0))) : '-',
        };
      });
      console.table(rows);
      const [urls, multipart] = rows;
      const ratio = Number(urls['chunks/direct']);
      const gatewayFall = Number(multipart['gateway CPU s/GiB']) / Math.max(Number(urls['gateway CPU s/GiB']), 0.001);
      const rss = Math.max(...rows.flatMap((r) => [Number(r['gateway RSS +MiB']), Number(r['media RSS +MiB'])]));
      const need = storeName === 's3' ? 0.9 : 0.8;
      console.log(
        `Goals on the ${storeName} store: URLs ≥ ${need}× direct: ${goal(ratio >= need)} (${f(ratio)}); ` +
          `gateway CPU per GiB multipart/URLs ≥ 5: ${goal(gatewayFall >= 5)} (${f(gatewayFall, 1)}); ` +
          `RSS growth < 64 MiB: ${goal(rss < 64)} (${f(rss, 1)}); ` +
          `merge ≤ 1.1× one MD5 pass: ${goal(Number(urls['merge/MD5']) <= 1.1)} (${urls['merge/MD5']}).\n`,
      );
    } finally {
      await s3?.close();
    }
  }
  await rm(path, { force: true });
  console.log(
    'Medians of the rounds. chunks: from the first chunk sent to the last stored (after the client hashed the file and called checkFile). ' +
      'direct: local, the file streamed into a LocalObjectStore in this process; S3, the same parts PUT by this process to presigned part URLs of the same s3rver, 4 at a time. ' +
      "merge: mergeChunks (join, verify, record), against md5OfFile over the same file; on S3, store join: s3rver completing the direct run's upload of the same parts (S3 joins on its own machines). " +
      `CPU: user + system seconds of all threads (/proc). RSS: the largest VmRSS growth of any round, ${SAMPLING_NOTE}.`,
  );
});
