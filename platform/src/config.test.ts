import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
  assert.deepEqual(config.search, { host: '127.0.0.1', port: 4003, indexUrl: `sqlite:${resolve('.data', 'search.sqlite')}` });
  assert.equal(config.gateway.searchUrl, 'http://127.0.0.1:4003/graphql');
  assert.deepEqual(config.objectStore, { kind: 'local', root: resolve('.data', 'objects'), publicUrl: 'http://localhost:4000/files' });
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

test('every bad variable is named in one error', () => {
  assert.throws(
    () => readConfig({ GATEWAY_PORT: '70000', MEDIA_PORT: 'x', NODE_ENV: 'staging', REDIS_URL: 'not a url', CONTENT_DATABASE_URL: 'oracle://db', SEARCH_DATABASE_URL: 'mysql://db/search', S3_ENDPOINT: 'http://minio:9000' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const name of ['GATEWAY_PORT', 'MEDIA_PORT', 'NODE_ENV', 'REDIS_URL', 'CONTENT_DATABASE_URL', 'SEARCH_DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']) {
        assert.match(text, new RegExp(name));
      }
      return true;
    },
  );
});

test('production has no development secret to fall back on', () => {
  assert.throws(() => readConfig({ NODE_ENV: 'production' }), /AUTH_JWT_SECRET or AUTH_JWKS_URL is required/);
  assert.throws(() => readConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short' }), /at least 32 characters/);
  const config = readConfig({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example.com/jwks.json' });
  assert.equal(config.auth.jwtSecret, undefined);
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
