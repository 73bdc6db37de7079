import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DriverException } from '@mikro-orm/core';
import { MariaDbExceptionConverter } from '@mikro-orm/mariadb';
import { PostgreSqlExceptionConverter } from '@mikro-orm/postgresql';
import { createConnection } from 'mariadb';
import { Client } from 'pg';
import { GraphQLError } from 'graphql';
import { badInput, conflict } from '../errors';
import { backendUrl } from '../testing/backends';
import { formatError, INTERNAL_MESSAGE } from './format-error';

const formatted = (message: string, code?: string) => ({
  message,
  extensions: code ? { code, stacktrace: ['at x'] } : {},
});

test('domain errors keep their code, message and details', () => {
  const error = new GraphQLError('wrapped', {
    originalError: badInput('Name is required.', { fields: [{ field: 'name', message: 'required' }] }),
  });
  assert.deepEqual(formatError(formatted('wrapped'), error).extensions, {
    code: 'BAD_USER_INPUT',
    fields: [{ field: 'name', message: 'required' }],
  });
  const clash = new GraphQLError('wrapped', {
    originalError: conflict('Already submitted.', { reason: 'ALREADY_SUBMITTED' }),
  });
  assert.deepEqual(formatError(formatted('wrapped'), clash), {
    message: 'Already submitted.',
    locations: undefined,
    path: undefined,
    extensions: { code: 'CONFLICT', reason: 'ALREADY_SUBMITTED' },
  });
});

test("Apollo's client-mistake codes become BAD_USER_INPUT with the reason kept", () => {
  const result = formatError(formatted('Cannot query field "x"', 'GRAPHQL_VALIDATION_FAILED'), new GraphQLError('x'));
  assert.deepEqual(result.extensions, { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' });
  assert.equal(result.message, 'Cannot query field "x"');
});

test('codes of the fixed set pass through without stack traces', () => {
  const result = formatError(formatted('Sign in first', 'UNAUTHENTICATED'), new GraphQLError('x'));
  assert.deepEqual(result.extensions, { code: 'UNAUTHENTICATED' });
});

test('anything else is INTERNAL and shows no internals unless asked to', () => {
  const error = new GraphQLError('boom', {
    originalError: new TypeError("Cannot read properties of undefined (reading 'fileMd5')"),
  });
  const hidden = formatError(formatted(error.originalError!.message, 'INTERNAL_SERVER_ERROR'), error);
  assert.deepEqual(hidden.extensions, { code: 'INTERNAL' });
  assert.equal(hidden.message, INTERNAL_MESSAGE);
  const shown = formatError(formatted(error.originalError!.message, 'INTERNAL_SERVER_ERROR'), error, true);
  assert.match(shown.message, /reading 'fileMd5'/);
  assert.deepEqual(shown.extensions, { code: 'INTERNAL' });
});

test('even in development, a database error shows no SQL and no values', () => {
  const sql = 'insert into "course_base" ("name") values ($1) - invalid byte sequence for encoding "UTF8": 0x00';
  const driver = Object.assign(new Error(sql), {
    code: '22021',
    severity: 'ERROR',
    routine: 'report_invalid_encoding',
  });
  const mariadb = Object.assign(new Error(`(conn:3, no: 1366, SQLState: 22007) Incorrect string value. sql: ${sql}`), {
    sqlMessage: 'Incorrect string value',
    sql,
    code: 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  });
  const sqlite = Object.assign(new Error(`SqliteError: ${sql}`), { name: 'SqliteError', code: 'SQLITE_ERROR' });
  // Code that wraps a driver's error and quotes its message hides it just the same.
  const wrapped = new Error(`saving the course failed: ${sql}`, { cause: new DriverException(driver) });
  for (const error of [new DriverException(driver), driver, sqlite, mariadb, wrapped]) {
    const shown = formatError(
      formatted(error.message, 'INTERNAL_SERVER_ERROR'),
      new GraphQLError(error.message, { originalError: error }),
      true,
    );
    assert.doesNotMatch(shown.message, /insert|course_base|values/i);
    assert.match(
      shown.message,
      /^A database error occurred \((22021|SQLITE_ERROR|ER_TRUNCATED_WRONG_VALUE_FOR_FIELD)\)/,
    );
    assert.deepEqual(shown.extensions, { code: 'INTERNAL' });
  }
});

test("an upload the body parser refused mid-operation is the client's mistake, with its own status's code", () => {
  const refused = (status: number) =>
    Object.assign(new Error(`File truncated as it exceeds the ${status} limit.`), { status, expose: true });
  const tooLarge = formatError(
    formatted('x', 'INTERNAL_SERVER_ERROR'),
    new GraphQLError('x', { originalError: refused(413) }),
  );
  assert.deepEqual(tooLarge.extensions, { code: 'PAYLOAD_TOO_LARGE' });
  assert.match(tooLarge.message, /File truncated/);
  const cut = formatError(
    formatted('x', 'INTERNAL_SERVER_ERROR'),
    new GraphQLError('x', { originalError: Object.assign(refused(400), { reason: 'MALFORMED_MULTIPART' }) }),
  );
  assert.deepEqual(cut.extensions, { code: 'BAD_USER_INPUT', reason: 'MALFORMED_MULTIPART' });
});

/** A real driver's error for a statement that names `secret_table`, as MikroORM converts it. */
async function realDriverErrors(): Promise<{ name: string; error: Error }[]> {
  const errors: { name: string; error: Error }[] = [];
  const sql = "select * from secret_table where name = 'secret value'";
  const pgUrl = backendUrl('postgres', 'format-error with a real PostgreSQL error');
  if (pgUrl) {
    const client = new Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(sql).then(
        () => assert.fail('the query should fail'),
        (error: Error) => {
          errors.push(
            { name: 'pg', error },
            { name: 'MikroORM over pg', error: new PostgreSqlExceptionConverter().convertException(error) },
          );
        },
      );
    } finally {
      await client.end();
    }
  }
  const mariaUrl = backendUrl('mariadb', 'format-error with a real MariaDB error');
  if (mariaUrl) {
    const connection = await createConnection(mariaUrl.replace(/^mysql:/, 'mariadb:'));
    try {
      await connection.query(sql).then(
        () => assert.fail('the query should fail'),
        (error: Error) => {
          errors.push(
            { name: 'mariadb', error },
            { name: 'MikroORM over mariadb', error: new MariaDbExceptionConverter().convertException(error) },
          );
        },
      );
    } finally {
      await connection.end();
    }
  }
  return errors;
}

test('in development, real driver errors (PostgreSQL, MariaDB: set TEST_POSTGRES_URL / TEST_MARIADB_URL) show their code, never their SQL', async (t) => {
  const errors = await realDriverErrors();
  if (errors.length === 0) return t.skip('no database server configured');
  for (const { name, error } of errors) {
    assert.match(error.message, /secret_table/, `${name}: the driver's own message names the table`);
    const shown = formatError(
      formatted(error.message, 'INTERNAL_SERVER_ERROR'),
      new GraphQLError(error.message, { originalError: error }),
      true,
    );
    assert.doesNotMatch(shown.message, /secret|select/i, name);
    assert.match(shown.message, /^A database error occurred \(\w+\)/, name);
  }
});
