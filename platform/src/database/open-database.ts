import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  MikroORM,
  type Configuration,
  type EntityClass,
  type EntityManager,
  type MigrationObject,
  type Options,
} from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { ReadinessCheck } from '../http/service-app';
import type { Logger } from '../logger';
import { databaseKind, sqliteFile, sqliteName, type DatabaseKind } from './database-url';

export interface DatabaseOptions {
  /** `sqlite:<file>`, `postgresql://…` or `mysql://…` / `mariadb://…`. */
  url: string;
  entities: EntityClass<object>[];
  migrations: MigrationObject[];
  logger?: Logger;
  /** Only the owning service migrates; other processes on the same database pass false. */
  migrate?: boolean;
}

/** The kind of database each opened ORM talks to, by its configuration (which every EntityManager of it shares). */
const openedKinds = new WeakMap<Configuration, DatabaseKind>();

/** The kind of database an EntityManager talks to, as `openDatabase` recorded it, for the few statements each writes its own way. */
export function databaseKindOf(em: EntityManager): DatabaseKind {
  const kind = openedKinds.get(em.config);
  if (!kind)
    throw new Error(
      'This EntityManager belongs to an ORM that openDatabase did not open, so its kind of database is unknown: open it with openDatabase.',
    );
  return kind;
}

function driverOptions(kind: DatabaseKind, url: string): Options {
  switch (kind) {
    case 'sqlite': {
      const file = sqliteFile(url);
      if (file) mkdirSync(dirname(file), { recursive: true });
      return { driver: BetterSqliteDriver, dbName: sqliteName(url) };
    }
    case 'postgresql':
      return { driver: PostgreSqlDriver, clientUrl: url };
    case 'mariadb':
      return { driver: MariaDbDriver, clientUrl: url.replace(/^mariadb:/, 'mysql:') };
  }
}

/** Connects, creates the database when the server lacks it, and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<MikroORM> {
  const log = options.logger;
  const kind = databaseKind(options.url);
  const orm = await MikroORM.init({
    ...driverOptions(kind, options.url),
    entities: options.entities,
    discovery: {
      disableDynamicFileAccess: true,
      requireEntitiesArray: true,
      warnWhenNoEntities: options.entities.length > 0,
    },
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations,
      // MariaDB commits implicitly around DDL, so wrapping migrations in a transaction only misleads.
      transactional: kind !== 'mariadb',
      allOrNothing: kind !== 'mariadb',
      snapshot: false,
    },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    ensureDatabase: true,
    logger: (message) => log?.debug({ orm: true }, message),
  });
  openedKinds.set(orm.config, kind);
  if (kind === 'sqlite') {
    // Several processes share one file (a subgraph and the jobs): WAL lets readers run beside a writer.
    const connection = orm.em.getConnection();
    await connection.execute('pragma journal_mode = wal');
    await connection.execute('pragma busy_timeout = 5000');
    await connection.execute('pragma foreign_keys = on');
  }
  if (options.migrate !== false) await migrate(orm, log);
  return orm;
}

const MIGRATION_ATTEMPTS = 5;

/**
 * Applies pending migrations. Processes sharing a database may start at once (jobs workers, a
 * subgraph and its workers): one wins and the others fail on its locks or its tables, then
 * find nothing left to do.
 */
async function migrate(orm: MikroORM, log: Logger | undefined): Promise<void> {
  const migrator = orm.getMigrator();
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrator.up();
      if (applied.length > 0) log?.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
      return;
    } catch (error) {
      if ((await migrator.getPendingMigrations().catch(() => [null])).length === 0) return;
      if (attempt >= MIGRATION_ATTEMPTS) throw error;
      log?.warn({ err: error, attempt }, 'migrating failed, perhaps beside another process; trying again');
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt + Math.random() * 250));
    }
  }
}

/**
 * Waits until the database's owner has applied every migration this code knows, for processes
 * that use another service's tables but must never migrate them (the jobs worker).
 */
export async function awaitMigrations(orm: MikroORM, owner: string, timeoutMs: number, log?: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const pending = await orm.getMigrator().getPendingMigrations();
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `The ${owner} database still lacks migrations ${pending.map((m) => m.name).join(', ')} after ${Math.round(timeoutMs / 1000)} s: start the ${owner} service, which applies them, or raise JOBS_SCHEMA_WAIT_SECONDS.`,
      );
    }
    if (!told)
      log?.info(
        { owner, pending: pending.map((m) => m.name) },
        'waiting for the owning service to migrate its database',
      );
    told = true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
}

/** The readiness check of a subgraph's database: it answers a trivial query. A process using two names each. */
export function databaseReadiness(orm: MikroORM, name = 'database'): ReadinessCheck {
  return { name, check: async () => void (await orm.em.getConnection().execute('select 1')) };
}
