import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildSchema } from 'graphql';
import { signToken } from '@learnhub/platform/auth';
import { DEV_JWT_SECRET } from '@learnhub/platform/config';
import { GATEWAY_SECRET_HEADER } from '@learnhub/platform/http';
import { freePort, ServiceProcess } from '@learnhub/platform/testing';
import { multipartRequest } from '@learnhub/platform/http';
import { runBenchmark, rssMiB, SAMPLING_NOTE, whileSampling } from '@learnhub/platform/bench';

/*
 * Upload throughput and memory through the gateway: files of 16, 64 and 256 MiB are streamed
 * from disk through a gateway child process and, as the baseline, straight to the subgraph it
 * forwards to. The gateway's RSS is sampled while each file passes; streaming means its growth
 * must not follow the file size.
 */

const MiB = 1024 * 1024;
const SIZES_MIB = [16, 64, 256];
/** Each size is uploaded this many times each way, alternating; the fastest of each way counts. */
const ROUNDS = 2;
const repoRoot = resolve(__dirname, '../../..');

interface Target {
  description: string;
  subgraphScript: string;
  gatewayScript: string;
  query: string;
  headers: Record<string, string>;
  digestOf(data: Record<string, { md5?: string; fileMd5?: string; size: number | string }>): {
    md5: string;
    size: number;
  };
}

/** The media service's main module, or undefined when media is not built. */
function mediaMain(): string | undefined {
  try {
    return require.resolve('@learnhub/media/main');
  } catch {
    return undefined;
  }
}

function checkedInSupergraph(): string | undefined {
  try {
    return readFileSync(require.resolve('@learnhub/schema/supergraph.graphql'), 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the supergraph has `uploadFile(file: Upload!, input: UploadFileInput): Media!`. */
function hasUploadFile(supergraphSdl: string): boolean {
  const field = buildSchema(supergraphSdl, { assumeValidSDL: true }).getMutationType()?.getFields().uploadFile;
  const argument = (name: string) => field?.args.find((arg) => arg.name === name)?.type.toString();
  return (
    field?.type.toString() === 'Media!' && argument('file') === 'Upload!' && argument('input') === 'UploadFileInput'
  );
}

async function chooseTarget(): Promise<Target> {
  const media = mediaMain();
  const supergraph = checkedInSupergraph();
  const missing = !media
    ? '@learnhub/media/main is not built'
    : !supergraph
      ? '@learnhub/schema/supergraph.graphql does not exist'
      : !hasUploadFile(supergraph)
        ? 'the supergraph has no uploadFile(file: Upload!, input: UploadFileInput): Media!'
        : undefined;
  if (media && !missing) {
    const token = await signToken({ userId: 'bench', roles: ['member'], organisationId: '1232141425' }, DEV_JWT_SECRET);
    return {
      description: 'the media subgraph (subgraphs/media) behind schema/supergraph.graphql',
      subgraphScript: media,
      gatewayScript: join(repoRoot, 'gateway/dist/main.js'),
      query: 'mutation ($file: Upload!) { uploadFile(file: $file) { id fileMd5 size } }',
      headers: { authorization: `Bearer ${token}` },
      digestOf: ({ uploadFile }) => ({ md5: String(uploadFile.fileMd5), size: Number(uploadFile.size) }),
    };
  }
  return {
    description: `the bench digest subgraph (fallback: ${missing})`,
    subgraphScript: join(__dirname, 'digest-subgraph-main.js'),
    gatewayScript: join(__dirname, 'digest-gateway-main.js'),
    query: 'mutation ($file: Upload!) { digest(file: $file) { md5 size } }',
    headers: {},
    digestOf: ({ digest }) => ({ md5: String(digest.md5), size: Number(digest.size) }),
  };
}

/** Writes `mib` MiB of random bytes to `path`, one MiB at a time. */
async function writeRandomFile(path: string, mib: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (let i = 0; i < mib; i++) await file.write(randomBytes(MiB));
  } finally {
    await file.close();
  }
}

/**
 * Streams the file at `path` as one GraphQL multipart upload and returns the seconds it took.
 * A fresh PDF-looking prefix makes every upload a new file to the subgraph (no deduplication
 * by MD5) and a type the media subgraph accepts; the answer's MD5 and size are checked.
 */
async function upload(target: Target, url: string, path: string, headers: Record<string, string>): Promise<number> {
  const hash = createHash('md5');
  let size = 0;
  const counted = (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
    return chunk;
  };
  async function* content(): AsyncGenerator<Uint8Array> {
    yield counted(Buffer.from(`%PDF-1.7\n%${randomUUID()}\n`));
    for await (const chunk of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>)
      yield counted(chunk);
  }
  const files = (async function* () {
    yield { field: '0', filename: 'bench.pdf', mimetype: 'application/pdf', content: content() };
  })();
  const multipart = multipartRequest(
    { query: target.query, variables: { file: null } },
    { 0: ['variables.file'] },
    files,
  );
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': multipart.contentType, 'apollo-require-preflight': 'true' },
    body: multipart.body,
    duplex: 'half',
    // Without it fetch tees the body for a possible redirect and holds the whole file (nodejs/undici#4058).
    redirect: 'error',
  });
  const body = (await response.json()) as { data?: Parameters<Target['digestOf']>[0]; errors?: unknown[] };
  const seconds = (performance.now() - started) / 1000;
  if (!response.ok || body.errors || !body.data) {
    throw new Error(`Upload to ${url} failed with HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  const received = target.digestOf(body.data);
  const sent = { md5: hash.digest('hex'), size };
  if (received.md5 !== sent.md5 || received.size !== sent.size) {
    throw new Error(`${url} received ${JSON.stringify(received)} but ${JSON.stringify(sent)} was sent`);
  }
  return seconds;
}

runBenchmark('upload-bench', async ({ dir: workDir, services }) => {
  const target = await chooseTarget();
  const [gatewayPort, subgraphPort] = [await freePort(), await freePort()];
  const secret = randomUUID();
  const env = {
    NODE_ENV: 'development',
    AUTH_JWT_SECRET: DEV_JWT_SECRET,
    LOG_LEVEL: 'warn',
    DATA_DIR: join(workDir, 'data'),
    UPLOAD_MAX_BYTES: String((Math.max(...SIZES_MIB) + 1) * MiB),
    GATEWAY_SECRET: secret,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(gatewayPort),
    MEDIA_PORT: String(subgraphPort),
    MEDIA_URL: `http://127.0.0.1:${subgraphPort}/graphql`,
  };
  services.push(
    await ServiceProcess.start(
      'subgraph',
      target.subgraphScript,
      env,
      `http://127.0.0.1:${subgraphPort}/health`,
      60_000,
    ),
  );
  const gateway = await ServiceProcess.start(
    'gateway',
    target.gatewayScript,
    env,
    `http://127.0.0.1:${gatewayPort}/health`,
    60_000,
  );
  services.push(gateway);
  const gatewayPid = gateway.pid;
  const throughGateway = (path: string) =>
    upload(target, `http://127.0.0.1:${gatewayPort}/graphql`, path, target.headers);
  const direct = (path: string) =>
    upload(target, env.MEDIA_URL, path, { ...target.headers, [GATEWAY_SECRET_HEADER]: secret });

  const warmUp = join(workDir, 'warm-up.bin');
  await writeRandomFile(warmUp, 1);
  await direct(warmUp);
  await throughGateway(warmUp);

  console.log(
    `Upload memory benchmark: gateway (pid ${gatewayPid}) in front of ${target.description}; Node ${process.version}.`,
  );
  const rows = [];
  for (const mib of SIZES_MIB) {
    const path = join(workDir, `upload-${mib}MiB.bin`);
    await writeRandomFile(path, mib);
    let [directSeconds, gatewaySeconds, peakMiB] = [Infinity, Infinity, 0];
    const beforeMiB = rssMiB(gatewayPid);
    for (let round = 0; round < ROUNDS; round++) {
      directSeconds = Math.min(directSeconds, await direct(path));
      const sampled = await whileSampling([gatewayPid], () => throughGateway(path));
      gatewaySeconds = Math.min(gatewaySeconds, sampled.result);
      peakMiB = Math.max(peakMiB, sampled.peak[0]);
    }
    rows.push({
      size: `${mib} MiB`,
      'gateway MiB/s': (mib / gatewaySeconds).toFixed(1),
      'direct MiB/s': (mib / directSeconds).toFixed(1),
      'gateway/direct': (directSeconds / gatewaySeconds).toFixed(2),
      'RSS before MiB': beforeMiB.toFixed(1),
      'RSS peak MiB': peakMiB.toFixed(1),
      'RSS growth MiB': (peakMiB - beforeMiB).toFixed(1),
    });
  }
  console.table(rows);
  console.log(
    `Best of ${ROUNDS} uploads each way per size. gateway/direct is the gateway's throughput as a share of the direct ` +
      `upload's (1.00 = no cost); RSS is the gateway's VmRSS, ${SAMPLING_NOTE}.`,
  );
});
