import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signToken } from '@learnhub/platform/auth';
import type { Role } from '@learnhub/platform/auth';
import { freePort, ServiceProcess } from '@learnhub/platform/testing';

export const TEST_JWT_SECRET = 'e2e-secret-that-is-long-enough-for-hs256-0123456789';

/** The whole platform as real processes on free ports, with its own data folder. */
export class PlatformStack {
  private constructor(
    readonly gatewayUrl: string,
    readonly ports: { gateway: number; content: number; media: number; search: number },
    readonly gatewaySecret: string,
    private readonly processes: ServiceProcess[],
    /** Every service's embedded data (SQLite files, the local object store, the search index). */
    readonly dataDir: string,
    /** What every process was started with. */
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The services and the gateway; `jobs` also starts that many jobs workers. */
  static async start(extraEnv: NodeJS.ProcessEnv = {}, options: { jobs?: number } = {}): Promise<PlatformStack> {
    const dataDir = await mkdtemp(join(tmpdir(), 'lh-e2e-'));
    const ports = {
      gateway: await freePort(),
      content: await freePort(),
      media: await freePort(),
      search: await freePort(),
    };
    const gatewaySecret = randomBytes(16).toString('hex');
    const env: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      GATEWAY_SECRET: gatewaySecret,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(ports.gateway),
      CONTENT_PORT: String(ports.content),
      MEDIA_PORT: String(ports.media),
      SEARCH_PORT: String(ports.search),
      PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
      // Stacks sharing one Redis (REDIS_URL in extraEnv) must not see each other's cache entries.
      REDIS_KEY_PREFIX: `e2e-${randomBytes(6).toString('hex')}:`,
      ...extraEnv,
    };
    const script = (module: string) => require.resolve(module);
    const started: ServiceProcess[] = [];
    try {
      // Settled, not Promise.all: when one subgraph fails to start, the others that did must be stopped too.
      const subgraphs = await Promise.allSettled([
        ServiceProcess.start(
          'content',
          script('@learnhub/content/main'),
          env,
          `http://127.0.0.1:${ports.content}/health`,
        ),
        ServiceProcess.start('media', script('@learnhub/media/main'), env, `http://127.0.0.1:${ports.media}/health`),
        ServiceProcess.start('search', script('@learnhub/search/main'), env, `http://127.0.0.1:${ports.search}/health`),
      ]);
      for (const result of subgraphs) if (result.status === 'fulfilled') started.push(result.value);
      const failed = subgraphs.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      started.push(
        await ServiceProcess.start(
          'gateway',
          script('@learnhub/gateway/main'),
          env,
          `http://127.0.0.1:${ports.gateway}/health`,
        ),
      );
    } catch (error) {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
    const stack = new PlatformStack(`http://127.0.0.1:${ports.gateway}`, ports, gatewaySecret, started, dataDir, env);
    try {
      for (let i = 0; i < (options.jobs ?? 0); i++) await stack.startJobs();
    } catch (error) {
      await stack.stop().catch(() => undefined);
      throw error;
    }
    return stack;
  }

  /** Starts one more jobs worker on the stack's databases, named `jobs-<n>` (its worker id too). */
  async startJobs(extraEnv: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const port = await freePort();
    const name = `jobs-${this.processes.filter((p) => p.name.startsWith('jobs-')).length + 1}`;
    const env = { ...this.env, JOBS_PORT: String(port), JOBS_WORKER_ID: name, ...extraEnv };
    const worker = await ServiceProcess.start(
      name,
      require.resolve('@learnhub/jobs/main'),
      env,
      `http://127.0.0.1:${port}/health`,
    );
    this.processes.push(worker);
    return worker;
  }

  /** Forgets a process the test stopped itself (a killed jobs worker, say). */
  forget(process: ServiceProcess): void {
    this.processes.splice(this.processes.indexOf(process), 1);
  }

  service(name: string): ServiceProcess {
    const found = this.processes.find((p) => p.name === name);
    if (!found) throw new Error(`no service ${name}`);
    return found;
  }

  token(userId: string, roles: Role[], organisationId?: string): Promise<string> {
    return signToken({ userId, roles, organisationId }, TEST_JWT_SECRET);
  }

  /** A gauge of one service, read from its own /metrics (open outside production). */
  async gauge(service: 'content' | 'media' | 'search', name: string): Promise<number> {
    const metrics = await (
      await fetch(`http://127.0.0.1:${this.ports[service]}/metrics`, { signal: AbortSignal.timeout(5_000) })
    ).text();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(metrics)?.[1]);
  }

  /** The search service's own URL (its indexing API lives beside GraphQL), reachable only with the gateway secret. */
  get searchUrl(): string {
    return `http://127.0.0.1:${this.ports.search}/graphql`;
  }

  /** Stops every process with SIGTERM and reports any that did not exit cleanly. */
  async stop(): Promise<void> {
    const codes = await Promise.all(this.processes.map(async (p) => [p.name, await p.stop('SIGTERM')] as const));
    await rm(this.dataDir, { recursive: true, force: true });
    const unclean = codes.filter(([, code]) => code !== 0);
    if (unclean.length) throw new Error(`unclean shutdown: ${unclean.map(([n, c]) => `${n} exited ${c}`).join(', ')}`);
  }
}

export interface GraphQLResult<T> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The data of an answer that must carry no errors (failing with them otherwise). */
export const ok = <T>(result: { data?: T | null; errors?: unknown }): T => {
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data as T;
};

/** A plain JSON GraphQL request, as any client would send it. */
export async function graphql<T>(
  url: string,
  query: string,
  variables: object = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as Omit<GraphQLResult<T>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** A GraphQL multipart request (one file at `variables.file`), as Apollo Client's upload link sends it. */
export function upload<T>(
  url: string,
  query: string,
  file: Blob,
  fileName: string,
  token: string,
  variables: object = {},
): Promise<GraphQLResult<T>> {
  return uploadAt<T>(url, query, { ...variables, file: null }, 'variables.file', file, fileName, token);
}

/**
 * A GraphQL multipart request with one file at the object path `at` (e.g. `variables.input.chunk`);
 * `variables` must hold `null` there, as the multipart request spec wants.
 */
export async function uploadAt<T>(
  url: string,
  query: string,
  variables: object,
  at: string,
  file: Blob,
  fileName: string,
  token: string,
): Promise<GraphQLResult<T>> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify({ 0: [at] }));
  form.append('0', file, fileName);
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: form,
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as Omit<GraphQLResult<T>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** The ffmpeg binary: FFMPEG_PATH, else the one bundled from npm (@ffmpeg-installer/ffmpeg). */
export function ffmpegPath(): string {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  const bundled = require(
    require.resolve('@ffmpeg-installer/ffmpeg', { paths: [require.resolve('@learnhub/media/main')] }),
  ) as { path: string };
  return bundled.path;
}

/**
 * Writes a real H.264 MP4 (a test pattern) to `path`. `bitrate` (e.g. `8M`) is kept constant with
 * filler data, so the size is about bitrate × seconds whatever the picture.
 */
export async function makeTestVideo(
  path: string,
  options: { seconds: number; size?: string; bitrate?: string; rate?: number },
): Promise<void> {
  const { seconds, size = '640x360', bitrate, rate = 25 } = options;
  const cbr = bitrate
    ? ['-b:v', bitrate, '-minrate', bitrate, '-maxrate', bitrate, '-bufsize', '2M', '-x264-params', 'nal-hrd=cbr']
    : [];
  await promisify(execFile)(ffmpegPath(), [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`, '-t', String(seconds)],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...cbr],
    ...['-f', 'mp4', path],
  ]);
}

/** An MP4 `free` box of `size` bytes (at least 8) of random filler: appended to an MP4 it keeps the file valid but makes its bytes unique. */
export function mp4FreeBox(size: number): Buffer {
  const box = randomBytes(size);
  box.writeUInt32BE(size, 0);
  box.write('free', 4, 'latin1');
  return box;
}
