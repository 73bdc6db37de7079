import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { DEV_JWT_SECRET } from '../config.js';
import { runNode } from '../testing/run-node.js';
import { createTokenVerifier } from './token-verifier.js';

const platformDir = resolve(__dirname, '../..');
const secret = 'a-cli-test-secret-that-is-at-least-32-characters';
const issuer = 'https://id.learnhub.test';
const audience = 'learnhub-api';
/** Pins every setting the CLI reads, so the developer's own environment cannot leak in. */
const baseEnv = {
  NODE_ENV: 'test',
  AUTH_JWT_SECRET: secret,
  AUTH_JWKS_URL: '',
  AUTH_ISSUER: issuer,
  AUTH_AUDIENCE: audience,
};

const runCli = (args: string[], env: Record<string, string> = {}) =>
  runNode('dist/auth/token-cli.js', args, { cwd: platformDir, env: { ...process.env, ...baseEnv, ...env } });

test('the token CLI prints only a token, and the token verifies', async () => {
  const run = await runCli(['--role', 'member', '--org', '1232141425', '--user', 'alice']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const viewer = await createTokenVerifier({ jwtSecret: secret, issuer, audience }).verify(run.stdout.trim());
  assert.deepEqual(viewer, { userId: 'alice', roles: ['member'], organisationId: '1232141425' });
});

test('the token CLI takes repeated and comma-separated roles', async () => {
  const run = await runCli(['--user', 'root', '--role', 'admin,auditor', '--role', 'admin', '--expires', '5m']);
  assert.equal(run.code, 0, run.stderr);
  const viewer = await createTokenVerifier({ jwtSecret: secret, issuer, audience }).verify(run.stdout.trim());
  assert.deepEqual(viewer, { userId: 'root', roles: ['auditor', 'admin'] });
});

test('the token CLI sets the courses claim from --courses', async () => {
  const run = await runCli(['--user', 'bob', '--courses', '12,13', '--courses', ' 14 ,12']);
  assert.equal(run.code, 0, run.stderr);
  const viewer = await createTokenVerifier({ jwtSecret: secret, issuer, audience }).verify(run.stdout.trim());
  assert.deepEqual(viewer, { userId: 'bob', roles: [], entitledCourseIds: ['12', '13', '14'] });
});

test('the token CLI signs with the development secret when none is configured', async () => {
  const run = await runCli(['--user', 'dev'], { NODE_ENV: 'development', AUTH_JWT_SECRET: '' });
  assert.equal(run.code, 0, run.stderr);
  const viewer = await createTokenVerifier({ jwtSecret: DEV_JWT_SECRET, issuer, audience }).verify(run.stdout.trim());
  assert.deepEqual(viewer, { userId: 'dev', roles: [] });
});

test('the token CLI prints usage and exits 2 on bad flags', async () => {
  const badFlags = [
    [],
    ['--role', 'member', '--org', '1'],
    ['--user', 'alice', '--bogus'],
    ['--user', 'alice', 'stray'],
    ['--user', 'alice', '--role', 'wizard'],
    ['--user', 'alice', '--role', 'member'],
    ['--user', 'alice', '--expires', 'soon'],
    ['--user', 'alice', '--courses', ','],
  ];
  for (const args of badFlags) {
    const run = await runCli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^token: .+\n\nUsage: /);
  }
});

test('the token CLI refuses when services verify against a remote key set', async () => {
  const run = await runCli(['--user', 'alice'], {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: '',
    AUTH_JWKS_URL: 'https://id.learnhub.test/jwks.json',
    // Production needs a key for file URLs too, and without AUTH_JWT_SECRET it must be its own.
    FILE_URL_SECRET: 'a-file-url-secret-of-at-least-32-characters',
  });
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /AUTH_JWKS_URL is set/);
});
