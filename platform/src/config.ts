import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { databaseKind, type DatabaseKind } from './database/database-url';
import { isAppError } from './errors';

/** Raised at start-up when a setting is missing or malformed; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problems.push(`${name}="${value}" must be a whole number from ${min} to ${max}.`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name}="${value}" must be true or false.`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name}="${value}" must be one of: ${allowed.join(', ')}.`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, fallback: string): string;
  url(name: string): string | undefined;
  url(name: string, fallback?: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    try {
      new URL(value);
      return value;
    } catch {
      this.problems.push(`${name}="${value}" is not a valid URL.`);
      return fallback;
    }
  }
}

export type Environment = 'development' | 'production' | 'test';

/** The databases the search index runs on (SEARCH_DATABASE_URL): embedded SQLite or PostgreSQL. */
export const SEARCH_INDEX_KINDS = ['sqlite', 'postgresql'] as const satisfies readonly DatabaseKind[];

/** Every setting of every process, read and validated once. */
export interface Config {
  env: Environment;
  dataDir: string;
  logLevel: string;
  gateway: {
    host: string;
    port: number;
    contentUrl: string;
    mediaUrl: string;
    searchUrl: string;
    publicUrl: string;
    /** A subgraph call (an operation, a forwarded upload, a file) is given up when the subgraph has neither answered nor, for an upload, taken a byte for this long. */
    subgraphTimeoutMs: number;
  };
  content: { host: string; port: number; databaseUrl: string };
  media: {
    host: string;
    port: number;
    databaseUrl: string;
    /** Unset: a system `ffprobe` on the PATH, else the one bundled from npm. */
    ffprobePath?: string;
    /** Unset: a system `ffmpeg` on the PATH, else the one bundled from npm. */
    ffmpegPath?: string;
  };
  search: {
    host: string;
    port: number;
    /** `sqlite:<file>` (the embedded index, the default) or a PostgreSQL URL. */
    indexUrl: string;
  };
  jobs: {
    host: string;
    /** 0 picks any free port (extra workers started by `npm run jobs`). */
    port: number;
    /** Unique among live workers; defaults to host name and process id. */
    workerId?: string;
    /** A task whose worker stops renewing is claimable by another after this long. */
    leaseMs: number;
    renewEveryMs: number;
    heartbeatMs: number;
    /** The wait between claims when no wake-up arrives. */
    pollMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    transcodeConcurrency: number;
    /** Publish outbox messages one worker carries out at once (they mostly wait on I/O). */
    publishConcurrency: number;
    /** ffmpeg making no progress for this long is killed. */
    transcodeStallMs: number;
    /** libx264's speed/size trade-off for re-encodes (ultrafast … veryslow). */
    transcodePreset: string;
    /** Five-field cron (UTC) of the abandoned-upload cleanup. */
    uploadCleanupCron: string;
    /** How long a worker waits at start for each owning service to migrate its database. */
    schemaWaitMs: number;
  };
  /** Sent by the gateway and required by every subgraph when set. */
  gatewaySecret?: string;
  http: {
    /** Browser origins allowed to call the gateway (CORS); in development any localhost origin is allowed too. */
    corsOrigins: string[];
    /**
     * Bearer token that opens `/metrics` and `/ready` in production; unset, they answer only
     * requests from this machine (loopback). Outside production they are open.
     */
    opsToken?: string;
    /** An upload (multipart) body that sends nothing for this long while the server reads it is dropped; a steady one may take as long as it needs. */
    bodyIdleMs: number;
    /** Any other request body (JSON, mostly) must arrive whole within this long. */
    jsonBodyMs: number;
  };
  files: {
    /** HMAC key of signed file URLs; every media process (and the gateway) shares it. */
    urlSecret: string;
    /** How long a signed URL for a private object stays valid. */
    urlTtlSeconds: number;
  };
  auth: { jwtSecret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  objectStore:
    | { kind: 'local'; root: string; publicUrl: string }
    | {
        kind: 's3';
        endpoint: string;
        accessKey: string;
        secretKey: string;
        region: string;
        publicUrl?: string;
        bucketPrefix: string;
      };
  redisUrl?: string;
  /** Prepended to every cache key, so several installs (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** How long one Redis connect or command may take before it counts as a failure. */
  redisTimeoutMs: number;
  /** While Redis is unreachable calls fail at once; it is tried again this often. */
  redisRetryMs: number;
  limits: {
    maxDepth: number;
    maxCost: number;
    maxAliases: number;
    maxTokens: number;
    maxPageSize: number;
    uploadMaxBytes: number;
    uploadMaxFiles: number;
    /** Chunked uploads: every chunk but the last has exactly this size (S3 needs at least 5 MiB). */
    chunkSize: number;
    /** The largest file a chunked upload may assemble. */
    maxFileBytes: number;
    /** Lifetime of a chunk upload URL (chunkUploadUrls). */
    uploadUrlTtlSeconds: number;
    /** An upload session idle longer than this is abandoned (its chunks are cleaned up). */
    uploadSessionTtlSeconds: number;
    /** Upload sessions one organisation may have open at once. */
    uploadQuotaSessions: number;
    /** Bytes one organisation's open upload sessions may declare in all. */
    uploadQuotaBytes: number;
    /** A merge whose process stops renewing is taken over (finished or rolled back) after this long. */
    uploadMergeLeaseMs: number;
    /** How long a merge or abort call waits for another live merge of the same upload before answering UPLOAD_MERGING. */
    uploadMergeWaitMs: number;
  };
  shutdownGraceMs: number;
  /** Set by `npm start` for its children: stop when the supervisor is gone (stdin closes). */
  supervised: boolean;
  /** Test runs only (TEST_PAUSE_AT): named points where the process stops for good, for a test to kill it there. */
  testPauseAt: string[];
}

export const DEV_JWT_SECRET = 'learnhub-development-secret-do-not-use-in-production';

/** Reads `.env` (when present) under the real environment, which wins. */
export function loadDotEnv(file = resolve(process.cwd(), '.env')): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** The file where `npm start` keeps the gateway secret it generated when GATEWAY_SECRET is unset. */
export const gatewaySecretFile = (dataDir: string) => resolve(dataDir, 'gateway-secret');

/**
 * Reads `npm start`'s generated secret, so every process of the install (the reindex CLI too)
 * agrees with it; `npm start` itself reads it through this too. A file others may read, or an
 * empty one, is a problem rather than a secret.
 */
export function readGatewaySecretFile(dataDir: string): { secret?: string; problem?: string } {
  const file = gatewaySecretFile(dataDir);
  if (!existsSync(file)) return {};
  if ((statSync(file).mode & 0o077) !== 0)
    return { problem: `${file} holds the gateway secret but is readable by group or others: run chmod 600 ${file}.` };
  const secret = readFileSync(file, 'utf8').trim();
  return secret === ''
    ? { problem: `${file} is empty: delete it (npm start writes a new one) or set GATEWAY_SECRET.` }
    : { secret };
}

function generatedGatewaySecret(dataDir: string, problems: string[]): string | undefined {
  const { secret, problem } = readGatewaySecretFile(dataDir);
  if (problem) problems.push(problem);
  return secret;
}

export function readConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const environment = r.oneOf<Environment>('NODE_ENV', ['development', 'production', 'test'], 'development');
  const dataDir = resolve(r.string('DATA_DIR', '.data'));
  const host = r.string('HOST', '127.0.0.1');
  const gatewayPort = r.int('GATEWAY_PORT', 4000, 1, 65535);
  const contentPort = r.int('CONTENT_PORT', 4001, 1, 65535);
  const mediaPort = r.int('MEDIA_PORT', 4002, 1, 65535);
  const searchPort = r.int('SEARCH_PORT', 4003, 1, 65535);
  const gatewayPublicUrl = r.url('PUBLIC_URL', `http://localhost:${gatewayPort}`).replace(/\/$/, '');

  const leaseMs = r.int('JOBS_LEASE_MS', 60_000, 500, 3_600_000);

  const sqlite = (name: string) => `sqlite:${resolve(dataDir, `${name}.sqlite`)}`;
  const databaseUrl = (variable: string, name: string, accepted?: readonly DatabaseKind[]) => {
    const value = r.string(variable, sqlite(name));
    try {
      databaseKind(value, variable, accepted);
    } catch (error) {
      if (!isAppError(error)) throw error;
      r.problems.push(error.message);
    }
    return value;
  };

  const searchIndexUrl = databaseUrl('SEARCH_DATABASE_URL', 'search', SEARCH_INDEX_KINDS);

  const s3Endpoint = r.url('S3_ENDPOINT');
  let objectStore: Config['objectStore'];
  if (s3Endpoint) {
    const accessKey = r.string('S3_ACCESS_KEY');
    const secretKey = r.string('S3_SECRET_KEY');
    if (!accessKey) r.problems.push('S3_ACCESS_KEY is required when S3_ENDPOINT is set.');
    if (!secretKey) r.problems.push('S3_SECRET_KEY is required when S3_ENDPOINT is set.');
    objectStore = {
      kind: 's3',
      endpoint: s3Endpoint,
      accessKey: accessKey ?? '',
      secretKey: secretKey ?? '',
      region: r.string('S3_REGION', 'us-east-1'),
      publicUrl: r.url('S3_PUBLIC_URL')?.replace(/\/$/, ''),
      bucketPrefix: r.string('S3_BUCKET_PREFIX', ''),
    };
  } else {
    objectStore = {
      kind: 'local',
      root: resolve(r.string('OBJECT_STORE_DIR', resolve(dataDir, 'objects'))),
      publicUrl: r.url('FILES_PUBLIC_URL', `${gatewayPublicUrl}/files`).replace(/\/$/, ''),
    };
  }

  const jwtSecret = r.string('AUTH_JWT_SECRET') ?? (environment === 'production' ? undefined : DEV_JWT_SECRET);
  const jwksUrl = r.url('AUTH_JWKS_URL');
  if (!jwtSecret && !jwksUrl) {
    r.problems.push('AUTH_JWT_SECRET or AUTH_JWKS_URL is required when NODE_ENV=production.');
  }
  if (jwtSecret && jwtSecret.length < 32) {
    r.problems.push('AUTH_JWT_SECRET must be at least 32 characters long.');
  }

  const gatewaySecret = r.string('GATEWAY_SECRET') ?? generatedGatewaySecret(dataDir, r.problems);
  const fileUrlSecret = r.string('FILE_URL_SECRET') ?? jwtSecret ?? gatewaySecret;
  if (!fileUrlSecret)
    r.problems.push('FILE_URL_SECRET (or AUTH_JWT_SECRET or GATEWAY_SECRET) is required to sign file URLs.');
  else if (fileUrlSecret.length < 32) r.problems.push('FILE_URL_SECRET must be at least 32 characters long.');
  // Renamed when chunked uploads took every kind of file: an old setting must not be ignored silently.
  if (r.raw('UPLOAD_CHUNKED_MAX_BYTES') !== undefined)
    r.problems.push('UPLOAD_CHUNKED_MAX_BYTES was renamed UPLOAD_MAX_FILE_BYTES: set that instead.');
  const corsOrigins = (r.string('CORS_ORIGINS') ?? '').split(/[\s,]+/).filter(Boolean);
  for (const origin of corsOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
      r.problems.push(
        `CORS_ORIGINS has "${origin}", which is not an origin such as https://learn.example.com (scheme, host and port only).`,
      );
    }
  }

  const testPauseAt = (r.string('TEST_PAUSE_AT') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (testPauseAt.length > 0 && environment !== 'test')
    r.problems.push('TEST_PAUSE_AT stops the process on purpose and is only allowed with NODE_ENV=test.');

  const config: Config = {
    env: environment,
    dataDir,
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    gateway: {
      host: r.string('GATEWAY_HOST', '0.0.0.0'),
      port: gatewayPort,
      contentUrl: r.url('CONTENT_URL', `http://127.0.0.1:${contentPort}/graphql`),
      mediaUrl: r.url('MEDIA_URL', `http://127.0.0.1:${mediaPort}/graphql`),
      searchUrl: r.url('SEARCH_URL', `http://127.0.0.1:${searchPort}/graphql`),
      publicUrl: gatewayPublicUrl,
      subgraphTimeoutMs: r.int('SUBGRAPH_TIMEOUT_SECONDS', 90, 1, 3600) * 1000,
    },
    content: { host, port: contentPort, databaseUrl: databaseUrl('CONTENT_DATABASE_URL', 'content') },
    media: {
      host,
      port: mediaPort,
      databaseUrl: databaseUrl('MEDIA_DATABASE_URL', 'media'),
      ffprobePath: r.string('FFPROBE_PATH'),
      ffmpegPath: r.string('FFMPEG_PATH'),
    },
    search: { host, port: searchPort, indexUrl: searchIndexUrl },
    jobs: {
      host,
      port: r.int('JOBS_PORT', 4010, 0, 65535),
      workerId: r.string('JOBS_WORKER_ID'),
      leaseMs,
      renewEveryMs: r.int(
        'JOBS_RENEW_MS',
        Math.max(100, Math.floor(leaseMs / 4)),
        50,
        Math.max(50, Math.floor(leaseMs / 2)),
      ),
      heartbeatMs: r.int('JOBS_HEARTBEAT_MS', 5_000, 50, 600_000),
      pollMs: r.int('JOBS_POLL_MS', 1_000, 10, 600_000),
      retryBaseMs: r.int('JOBS_RETRY_BASE_MS', 10_000, 0, 86_400_000),
      retryMaxMs: r.int('JOBS_RETRY_MAX_MS', 600_000, 0, 86_400_000),
      transcodeConcurrency: r.int('TRANSCODE_CONCURRENCY', availableParallelism(), 1, 256),
      publishConcurrency: r.int('PUBLISH_CONCURRENCY', 8, 1, 256),
      transcodeStallMs: r.int('TRANSCODE_STALL_SECONDS', 120, 1, 86_400) * 1000,
      transcodePreset: r.oneOf(
        'TRANSCODE_PRESET',
        ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'],
        'veryfast',
      ),
      uploadCleanupCron: r.string('UPLOAD_CLEANUP_CRON', '*/10 * * * *'),
      schemaWaitMs: r.int('JOBS_SCHEMA_WAIT_SECONDS', 120, 0, 3600) * 1000,
    },
    gatewaySecret,
    http: {
      corsOrigins: corsOrigins.map((origin) => origin.replace(/\/$/, '')),
      opsToken: r.string('OPS_TOKEN'),
      bodyIdleMs: r.int('HTTP_BODY_IDLE_SECONDS', 30, 1, 3600) * 1000,
      jsonBodyMs: r.int('HTTP_JSON_BODY_SECONDS', 10, 1, 3600) * 1000,
    },
    files: { urlSecret: fileUrlSecret ?? '', urlTtlSeconds: r.int('FILE_URL_TTL_SECONDS', 3600, 60, 7 * 86_400) },
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: r.string('AUTH_ISSUER'),
      audience: r.string('AUTH_AUDIENCE'),
    },
    objectStore,
    redisUrl: r.url('REDIS_URL'),
    redisKeyPrefix: r.string('REDIS_KEY_PREFIX', 'learnhub:'),
    redisTimeoutMs: r.int('REDIS_TIMEOUT_MS', 500, 10, 60_000),
    redisRetryMs: r.int('REDIS_RETRY_MS', 2_000, 50, 600_000),
    limits: {
      maxDepth: r.int('QUERY_MAX_DEPTH', 12, 1, 100),
      maxCost: r.int('QUERY_MAX_COST', 5000, 1),
      maxAliases: r.int('QUERY_MAX_ALIASES', 30, 1, 1000),
      maxTokens: r.int('QUERY_MAX_TOKENS', 5000, 10),
      maxPageSize: r.int('PAGE_MAX_SIZE', 100, 1, 10000),
      uploadMaxBytes: r.int('UPLOAD_MAX_BYTES', 100 * 1024 * 1024, 1),
      uploadMaxFiles: r.int('UPLOAD_MAX_FILES', 10, 1, 1000),
      chunkSize: r.int('UPLOAD_CHUNK_SIZE', 5 * 1024 * 1024, 5 * 1024 * 1024, 512 * 1024 * 1024),
      maxFileBytes: r.int('UPLOAD_MAX_FILE_BYTES', 20 * 1024 ** 3, 1),
      uploadUrlTtlSeconds: r.int('UPLOAD_URL_TTL_SECONDS', 3600, 60, 7 * 86_400),
      uploadSessionTtlSeconds: r.int('UPLOAD_SESSION_TTL_SECONDS', 24 * 3600, 60),
      uploadQuotaSessions: r.int('UPLOAD_QUOTA_SESSIONS', 20, 1, 100_000),
      uploadQuotaBytes: r.int('UPLOAD_QUOTA_BYTES', 64 * 1024 ** 3, 1),
      uploadMergeLeaseMs: r.int('UPLOAD_MERGE_LEASE_SECONDS', 30, 1, 3600) * 1000,
      uploadMergeWaitMs: r.int('UPLOAD_MERGE_WAIT_SECONDS', 5, 0, 300) * 1000,
    },
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    supervised: r.bool('LEARNHUB_SUPERVISED', false),
    testPauseAt,
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

let loaded: Config | undefined;

/** The process-wide configuration: `.env` and the environment, read on first use. */
export function config(): Config {
  if (!loaded) {
    loadDotEnv();
    loaded = readConfig();
  }
  return loaded;
}
