import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mariadb';
import { Client } from 'pg';
import { after, before } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { databaseKind, type DatabaseKind } from '../database/database-url';
import { openDatabase, type DatabaseOptions } from '../database/open-database';
import { backendUrl, backendVariables } from './backends';

/** A fresh, empty database for one suite; `drop` removes it and everything in it. */
export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

export type TestDatabaseFactory = { kind: DatabaseKind; create(): Promise<TestDatabase> };

const freshName = () => `lh_test_${randomBytes(5).toString('hex')}`;

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function sqlite(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'lh-sqlite-'));
  return {
    kind: 'sqlite',
    url: `sqlite:${join(dir, 'test.sqlite')}`,
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A factory of fresh, empty PostgreSQL databases on the server at `serverUrl`, which `setting` named. */
export function postgresTestDatabase(
  serverUrl: string,
  setting: string = backendVariables.postgres,
): TestDatabaseFactory {
  databaseKind(serverUrl, setting, ['postgresql']);
  return {
    kind: 'postgresql',
    async create() {
      const name = freshName();
      const admin = new Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      return {
        kind: 'postgresql',
        url: withDatabase(serverUrl, name),
        async drop() {
          const client = new Client({ connectionString: serverUrl });
          await client.connect();
          try {
            // pg's pool.end() resolves before its sockets have closed; forcing the drop then would
            // kill those connections and crash their (closed) owners, so give them a moment first.
            for (let attempt = 0; attempt < 20; attempt++) {
              try {
                await client.query(`drop database if exists ${name}`);
                return;
              } catch (error) {
                if (!/being accessed by other users/.test((error as Error).message)) throw error;
                await new Promise((resolve) => setTimeout(resolve, 100));
              }
            }
            await client.query(`drop database if exists ${name} with (force)`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

function mariadb(serverUrl: string): TestDatabaseFactory {
  databaseKind(serverUrl, backendVariables.mariadb, ['mariadb']);
  const run = async (sql: string) => {
    const connection = await createConnection(serverUrl.replace(/^mysql:/, 'mariadb:'));
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  };
  return {
    kind: 'mariadb',
    async create() {
      const name = freshName();
      await run(`create database ${name} character set utf8mb4 collate utf8mb4_unicode_ci`);
      return {
        kind: 'mariadb',
        url: withDatabase(serverUrl, name),
        drop: () => run(`drop database if exists ${name}`),
      };
    },
  };
}

/**
 * The databases a persistence suite runs on: always SQLite, plus PostgreSQL and MariaDB when
 * TEST_POSTGRES_URL / TEST_MARIADB_URL point at a server (skipped with one line otherwise,
 * failing under REQUIRE_BACKENDS=1). Each suite gets its own fresh database.
 */
export function testDatabases(suite: string): TestDatabaseFactory[] {
  const factories: TestDatabaseFactory[] = [{ kind: 'sqlite', create: sqlite }];
  const pg = backendUrl('postgres', suite);
  if (pg) factories.push(postgresTestDatabase(pg));
  const maria = backendUrl('mariadb', suite);
  if (maria) factories.push(mariadb(maria));
  return factories;
}

/**
 * Registers before/after hooks on the current suite: a fresh database of `factory`'s kind,
 * migrated with `schema`, closed and dropped afterwards. Read `.orm` inside tests.
 */
export function migratedTestDatabase(
  factory: TestDatabaseFactory,
  schema: Pick<DatabaseOptions, 'entities' | 'migrations'>,
): { readonly orm: MikroORM } {
  let database: TestDatabase | undefined;
  let orm: MikroORM | undefined;
  before(async () => {
    database = await factory.create();
    orm = await openDatabase({ url: database.url, ...schema });
  });
  after(async () => {
    await orm?.close();
    await database?.drop();
  });
  return {
    get orm() {
      if (!orm) throw new Error('The test database opens in a before hook: use .orm inside tests.');
      return orm;
    },
  };
}
