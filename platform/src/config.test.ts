import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, DEV_JWT_SECRET, loadDotEnv, readConfig } from './config';

test('an empty environment gives the embedded defaults', () => {
  const config = readConfig({});
  assert.equal(config.env, 'development');
  assert.equal(config.dataDir, resolve('.data'));
  assert.equal(config.gateway.port, 4000);
  assert.equal(config.gateway.mediaUrl, 'http://127.0.0.1:4002/graphql');
  assert.equal(config.content.databaseUrl, `sqlite:${resolve('.data', 'content.sqlite')}`);
  assert.equal(config.media.databaseUrl, `sqlite:${resolve('.data', 'media.sqlite')}`);
  assert.deepEqual(config.search, {
    host: '127.0.0.1',
    port: 4003,
    indexUrl: `sqlite:${resolve('.data', 'search.sqlite')}`,
  });
  assert.equal(config.gateway.searchUrl, 'http://127.0.0.1:4003/graphql');
  assert.deepEqual(config.objectStore, {
    kind: 'local',
    root: resolve('.data', 'objects'),
    publicUrl: 'http://localhost:4000/files',
  });
  assert.equal(config.auth.jwtSecret, DEV_JWT_SECRET);
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.gatewaySecret, undefined);
});

test('real backends are chosen by their variables', () => {
  const config = readConfig({
    CONTENT_DATABASE_URL: 'postgresql://u@db/content',
    MEDIA_DATABASE_URL: 'mysql://root@db/media',
    SEARCH_DATABASE_URL: 'postgres://u@db/search',
    S3_ENDPOINT: 'http://minio:9000',
    S3_ACCESS_KEY: 'key',
    S3_SECRET_KEY: 'secret',
    S3_PUBLIC_URL: 'https://cdn.example.com/',
    REDIS_URL: 'redis://cache:6379',
  });
  assert.equal(config.content.databaseUrl, 'postgresql://u@db/content');
  assert.equal(config.media.databaseUrl, 'mysql://root@db/media');
  assert.equal(config.search.indexUrl, 'postgres://u@db/search');
  assert.deepEqual(config.objectStore, {
    kind: 's3',
    endpoint: 'http://minio:9000',
    accessKey: 'key',
    secretKey: 'secret',
    region: 'us-east-1',
    publicUrl: 'https://cdn.example.com',
    bucketPrefix: '',
  });
  assert.equal(config.redisUrl, 'redis://cache:6379');
});

test('Redis calls have short deadlines and a retry interval, both settable and bounded', () => {
  const defaults = readConfig({});
  assert.deepEqual([defaults.redisTimeoutMs, defaults.redisRetryMs], [500, 2000]);
  const set = readConfig({ REDIS_TIMEOUT_MS: '150', REDIS_RETRY_MS: '300' });
  assert.deepEqual([set.redisTimeoutMs, set.redisRetryMs], [150, 300]);
  assert.throws(
    () => readConfig({ REDIS_TIMEOUT_MS: '0', REDIS_RETRY_MS: 'soon' }),
    (error: Error) => /REDIS_TIMEOUT_MS/.test(error.message) && /REDIS_RETRY_MS/.test(error.message),
  );
});

test('every bad variable is named in one error', () => {
  assert.throws(
    () =>
      readConfig({
        GATEWAY_PORT: '70000',
        MEDIA_PORT: 'x',
        NODE_ENV: 'staging',
        REDIS_URL: 'not a url',
        CONTENT_DATABASE_URL: 'oracle://db',
        SEARCH_DATABASE_URL: 'mysql://db/search',
        S3_ENDPOINT: 'http://minio:9000',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const name of [
        'GATEWAY_PORT',
        'MEDIA_PORT',
        'NODE_ENV',
        'REDIS_URL',
        'CONTENT_DATABASE_URL',
        'SEARCH_DATABASE_URL',
        'S3_ACCESS_KEY',
        'S3_SECRET_KEY',
      ]) {
        assert.match(text, new RegExp(name));
      }
      return true;
    },
  );
});

test('database URLs say what they may be: any database for content and media, SQLite or PostgreSQL for search', () => {
  assert.throws(
    () => readConfig({ MEDIA_DATABASE_URL: 'redis://db', SEARCH_DATABASE_URL: 'mariadb://db/search' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'SEARCH_DATABASE_URL "mariadb://db/search" must be sqlite:<file> or postgresql://….',
        'MEDIA_DATABASE_URL "redis://db" must be sqlite:<file>, postgresql://… or mysql://… / mariadb://….',
      ]);
      return true;
    },
  );
  assert.equal(readConfig({ SEARCH_DATABASE_URL: 'postgres://db/search' }).search.indexUrl, 'postgres://db/search');
});

test('production has no development secret to fall back on', () => {
  assert.throws(() => readConfig({ NODE_ENV: 'production' }), /AUTH_JWT_SECRET or AUTH_JWKS_URL is required/);
  assert.throws(() => readConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short' }), /at least 32 characters/);
  assert.throws(
    () => readConfig({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example.com/jwks.json' }),
    /FILE_URL_SECRET \(or AUTH_JWT_SECRET or GATEWAY_SECRET\) is required/,
  );
  const config = readConfig({
    NODE_ENV: 'production',
    AUTH_JWKS_URL: 'https://id.example.com/jwks.json',
    FILE_URL_SECRET: 'f'.repeat(32),
  });
  assert.equal(config.auth.jwtSecret, undefined);
  assert.equal(config.files.urlSecret, 'f'.repeat(32));
});

test('file URLs are signed with FILE_URL_SECRET, else the token secret, else the gateway secret', () => {
  assert.equal(readConfig({}).files.urlSecret, DEV_JWT_SECRET);
  assert.equal(readConfig({}).files.urlTtlSeconds, 3600);
  const gateway = 'g'.repeat(40);
  assert.equal(
    readConfig({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example.com/jwks.json', GATEWAY_SECRET: gateway })
      .files.urlSecret,
    gateway,
  );
  assert.equal(readConfig({ FILE_URL_SECRET: 'x'.repeat(32), FILE_URL_TTL_SECONDS: '120' }).files.urlTtlSeconds, 120);
  assert.throws(() => readConfig({ FILE_URL_SECRET: 'short' }), /FILE_URL_SECRET must be at least 32 characters/);
  assert.throws(
    () => readConfig({ FILE_URL_TTL_SECONDS: '5' }),
    /FILE_URL_TTL_SECONDS="5" must be a whole number from 60/,
  );
});

test('CORS_ORIGINS takes origins only; OPS_TOKEN and the upload quotas are read', () => {
  const config = readConfig({
    CORS_ORIGINS: 'https://learn.example.com, http://localhost:5173/ https://admin.example.com:8443',
    OPS_TOKEN: 'scrape-me',
    UPLOAD_QUOTA_SESSIONS: '5',
    UPLOAD_QUOTA_BYTES: '1073741824',
  });
  assert.deepEqual(config.http, {
    corsOrigins: ['https://learn.example.com', 'http://localhost:5173', 'https://admin.example.com:8443'],
    opsToken: 'scrape-me',
    bodyIdleMs: 30_000,
    jsonBodyMs: 10_000,
  });
  assert.deepEqual([config.limits.uploadQuotaSessions, config.limits.uploadQuotaBytes], [5, 1073741824]);
  assert.deepEqual(readConfig({}).http, {
    corsOrigins: [],
    opsToken: undefined,
    bodyIdleMs: 30_000,
    jsonBodyMs: 10_000,
  });
  assert.deepEqual(
    [readConfig({}).limits.uploadQuotaSessions, readConfig({}).limits.uploadQuotaBytes],
    [20, 64 * 1024 ** 3],
  );
  for (const bad of ['*', 'learn.example.com', 'https://learn.example.com/app', 'ftp://files.example.com']) {
    assert.throws(
      () => readConfig({ CORS_ORIGINS: bad }),
      new RegExp(`CORS_ORIGINS has "${bad.replace(/[.*/]/g, '\\$&')}"`),
      bad,
    );
  }
});

test('merge leases and waits have working defaults and bounds; TEST_PAUSE_AT is refused outside tests', () => {
  assert.deepEqual(
    [readConfig({}).limits.uploadMergeLeaseMs, readConfig({}).limits.uploadMergeWaitMs],
    [30_000, 5_000],
  );
  const tuned = readConfig({ UPLOAD_MERGE_LEASE_SECONDS: '120', UPLOAD_MERGE_WAIT_SECONDS: '0' });
  assert.deepEqual([tuned.limits.uploadMergeLeaseMs, tuned.limits.uploadMergeWaitMs], [120_000, 0]);
  assert.throws(
    () => readConfig({ UPLOAD_MERGE_LEASE_SECONDS: '0', UPLOAD_MERGE_WAIT_SECONDS: '301' }),
    /UPLOAD_MERGE_LEASE_SECONDS="0"[\s\S]*UPLOAD_MERGE_WAIT_SECONDS="301"/,
  );
  assert.deepEqual(readConfig({}).testPauseAt, []);
  assert.deepEqual(readConfig({ NODE_ENV: 'test', TEST_PAUSE_AT: 'merge:joined, merge:leased' }).testPauseAt, [
    'merge:joined',
    'merge:leased',
  ]);
  assert.throws(() => readConfig({ TEST_PAUSE_AT: 'merge:joined' }), /TEST_PAUSE_AT .*only allowed with NODE_ENV=test/);
});

test('LEARNHUB_SUPERVISED (set by npm start for its children) is off unless set', () => {
  assert.equal(readConfig({}).supervised, false);
  assert.equal(readConfig({ LEARNHUB_SUPERVISED: '1' }).supervised, true);
  assert.throws(() => readConfig({ LEARNHUB_SUPERVISED: 'maybe' }), /LEARNHUB_SUPERVISED="maybe"/);
});

test('a .env file fills in what the environment does not set', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lh-env-'));
  const key = `LH_TEST_${process.pid}`;
  try {
    await writeFile(join(dir, '.env'), `${key}=from-file\nLH_TEST_KEEP=from-file\n`);
    process.env.LH_TEST_KEEP = 'from-env';
    loadDotEnv(join(dir, '.env'));
    assert.equal(process.env[key], 'from-file');
    assert.equal(process.env.LH_TEST_KEEP, 'from-env');
    loadDotEnv(join(dir, 'missing.env'));
  } finally {
    delete process.env[key];
    delete process.env.LH_TEST_KEEP;
    await rm(dir, { recursive: true, force: true });
  }
});

test('HTTP_BODY_IDLE_SECONDS sets the body idle limit and is validated', () => {
  assert.equal(readConfig({}).http.bodyIdleMs, 30_000);
  assert.equal(readConfig({ HTTP_BODY_IDLE_SECONDS: '2' }).http.bodyIdleMs, 2_000);
  assert.throws(
    () => readConfig({ HTTP_BODY_IDLE_SECONDS: '0' }),
    (error: ConfigError) => error.problems.some((p) => p.startsWith('HTTP_BODY_IDLE_SECONDS="0"')),
  );
});

test('SUBGRAPH_TIMEOUT_SECONDS sets how long the gateway waits on a silent subgraph and is validated', () => {
  assert.equal(readConfig({}).gateway.subgraphTimeoutMs, 90_000);
  assert.equal(readConfig({ SUBGRAPH_TIMEOUT_SECONDS: '5' }).gateway.subgraphTimeoutMs, 5_000);
  assert.throws(
    () => readConfig({ SUBGRAPH_TIMEOUT_SECONDS: '0' }),
    (error: ConfigError) => error.problems.some((p) => p.startsWith('SUBGRAPH_TIMEOUT_SECONDS="0"')),
  );
});

test('HTTP_JSON_BODY_SECONDS sets the limit on non-upload bodies and is validated', () => {
  assert.equal(readConfig({}).http.jsonBodyMs, 10_000);
  assert.equal(readConfig({ HTTP_JSON_BODY_SECONDS: '3' }).http.jsonBodyMs, 3_000);
  assert.throws(
    () => readConfig({ HTTP_JSON_BODY_SECONDS: '0' }),
    (error: ConfigError) => error.problems.some((p) => p.startsWith('HTTP_JSON_BODY_SECONDS="0"')),
  );
});

test('the gateway secret npm start generated is read from DATA_DIR/gateway-secret when GATEWAY_SECRET is unset', {
  timeout: 10_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'learnhub-secret-'));
  try {
    const file = join(dir, 'gateway-secret');
    await writeFile(file, 'ab'.repeat(32) + '\n', { mode: 0o600 });
    assert.equal(readConfig({ DATA_DIR: dir }).gatewaySecret, 'ab'.repeat(32));
    assert.equal(readConfig({ DATA_DIR: dir, GATEWAY_SECRET: 'c'.repeat(40) }).gatewaySecret, 'c'.repeat(40));

    await chmod(file, 0o644);
    assert.throws(
      () => readConfig({ DATA_DIR: dir }),
      (e: unknown) =>
        e instanceof ConfigError && /gateway-secret.*readable by group or others.*chmod 600/.test(e.message),
    );

    await writeFile(file, '\n');
    await chmod(file, 0o600);
    assert.throws(
      () => readConfig({ DATA_DIR: dir }),
      (e: unknown) => e instanceof ConfigError && /gateway-secret is empty/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('UPLOAD_MAX_FILE_BYTES and UPLOAD_URL_TTL_SECONDS have defaults and bounds; the old UPLOAD_CHUNKED_MAX_BYTES is named, not ignored', () => {
  const defaults = readConfig({});
  assert.equal(defaults.limits.maxFileBytes, 20 * 1024 ** 3);
  assert.equal(defaults.limits.uploadUrlTtlSeconds, 3600);
  const tuned = readConfig({ UPLOAD_MAX_FILE_BYTES: '1048576', UPLOAD_URL_TTL_SECONDS: '600' });
  assert.deepEqual([tuned.limits.maxFileBytes, tuned.limits.uploadUrlTtlSeconds], [1048576, 600]);
  assert.throws(
    () => readConfig({ UPLOAD_URL_TTL_SECONDS: '59', UPLOAD_CHUNKED_MAX_BYTES: '1048576' }),
    (error: ConfigError) =>
      error.problems.some((p) => p.startsWith('UPLOAD_URL_TTL_SECONDS="59"')) &&
      error.problems.some((p) => /UPLOAD_CHUNKED_MAX_BYTES was renamed UPLOAD_MAX_FILE_BYTES/.test(p)),
  );
});
