import { test } from 'node:test';

/**
 * Names of the real backends a test run may be pointed at. An unset backend is skipped with one
 * line, unless REQUIRE_BACKENDS requires it (CI), where it fails instead.
 */
export const backendVariables = {
  postgres: 'TEST_POSTGRES_URL',
  mariadb: 'TEST_MARIADB_URL',
  redis: 'TEST_REDIS_URL',
  s3: 'S3_ENDPOINT',
  /** A Chromium executable (Debian's `chromium`) that browser tests drive with playwright-core. */
  browser: 'TEST_CHROMIUM_PATH',
} as const;
export type Backend = keyof typeof backendVariables;

/**
 * Which backends must be present: `REQUIRE_BACKENDS=1` means what CI provides (PostgreSQL,
 * MariaDB, Redis and a Chromium for browser tests); a comma list names exactly which (add `s3` where a real
 * S3 or MinIO exists; the object store suite always runs on the in-process stand-in anyway).
 */
export function requiredBackends(value = process.env.REQUIRE_BACKENDS): Set<Backend> {
  const setting = value?.trim().toLowerCase() ?? '';
  if (setting === '' || setting === '0' || setting === 'false') return new Set();
  if (setting === '1' || setting === 'true') return new Set(['postgres', 'mariadb', 'redis', 'browser']);
  const names = setting.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(name in backendVariables));
  if (unknown.length)
    throw new Error(
      `REQUIRE_BACKENDS names unknown backends: ${unknown.join(', ')} (known: ${Object.keys(backendVariables).join(', ')}).`,
    );
  return new Set(names as Backend[]);
}

/** The configured URL of `backend`, or undefined after reporting the skip (or failure). */
export function backendUrl(backend: Backend, suite: string): string | undefined {
  const variable = backendVariables[backend];
  const value = process.env[variable];
  if (value) return value;
  if (requiredBackends().has(backend)) {
    test(`${suite} on ${backend}`, () => {
      throw new Error(
        `${variable} is not set but REQUIRE_BACKENDS requires ${backend}: point it at a ${backend} server.`,
      );
    });
  } else {
    test(`${suite} on ${backend}`, { skip: `${variable} not set` }, () => {});
  }
  return undefined;
}
