import { test } from 'node:test';

/**
 * Names of the real backends a test run may be pointed at. An unset backend is skipped with one
 * line, unless REQUIRE_BACKENDS=1 (CI), where it fails instead.
 */
export const backendVariables = {
  postgres: 'TEST_POSTGRES_URL',
  mariadb: 'TEST_MARIADB_URL',
  redis: 'TEST_REDIS_URL',
  s3: 'S3_ENDPOINT',
} as const;
export type Backend = keyof typeof backendVariables;

export function backendsRequired(): boolean {
  return process.env.REQUIRE_BACKENDS === '1' || process.env.REQUIRE_BACKENDS === 'true';
}

/** The configured URL of `backend`, or undefined after reporting the skip (or failure). */
export function backendUrl(backend: Backend, suite: string): string | undefined {
  const variable = backendVariables[backend];
  const value = process.env[variable];
  if (value) return value;
  if (backendsRequired()) {
    test(`${suite} on ${backend}`, () => {
      throw new Error(`${variable} is not set but REQUIRE_BACKENDS=1: point it at a ${backend} server.`);
    });
  } else {
    test(`${suite} on ${backend}`, { skip: `${variable} not set` }, () => {});
  }
  return undefined;
}
