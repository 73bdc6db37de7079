import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Entity, PrimaryKey, Property, type MikroORM } from '@mikro-orm/core';
import { AppError } from '../errors';
import { testDatabases, type TestDatabase } from '../testing/test-databases';
import { databaseKind, type DatabaseKind } from './database-url';
import { databaseKindOf, openDatabase } from './open-database';
import { SchemaMigration } from './schema-migration';

@Entity({ tableName: 'bootstrap_note' })
class Note {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 200 })
  text!: string;
}

class CreateNote extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('bootstrap_note', (t) => {
        t.increments('id').primary();
        t.string('text', 200).notNullable();
      }),
    );
  }
}

class AddIndex extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) => s.alterTable('bootstrap_note', (t) => t.index(['text'], 'bootstrap_note_text_idx')));
  }
}

const migrations = [
  { name: '0001-create-note', class: CreateNote },
  { name: '0002-index-note', class: AddIndex },
];

test('database URLs name their kind; others are refused, coded, saying what would do', () => {
  assert.equal(databaseKind('sqlite:/tmp/x.sqlite'), 'sqlite');
  assert.equal(databaseKind('postgresql://u@h/db'), 'postgresql');
  assert.equal(databaseKind('postgres://u@h/db'), 'postgresql');
  assert.equal(databaseKind('mysql://u@h/db'), 'mariadb');
  assert.equal(databaseKind('mariadb://u@h/db'), 'mariadb');
  const refused = (message: RegExp) => (error: unknown) => {
    assert.ok(error instanceof AppError && error.code === 'BAD_USER_INPUT', String(error));
    assert.equal(error.details.reason, 'UNSUPPORTED_DATABASE_URL');
    assert.match(error.message, message);
    return true;
  };
  assert.throws(
    () => databaseKind('oracle://h/db'),
    refused(
      /^The database URL "oracle:\/\/h\/db" must be sqlite:<file>, postgresql:\/\/… or mysql:\/\/… \/ mariadb:\/\/…\.$/,
    ),
  );
  assert.throws(
    () => databaseKind('mysql://h/db', 'SEARCH_DATABASE_URL', ['sqlite', 'postgresql']),
    refused(/^SEARCH_DATABASE_URL "mysql:\/\/h\/db" must be sqlite:<file> or postgresql:\/\/…\.$/),
  );
  assert.equal(databaseKind('postgres://u@h/db', 'SEARCH_DATABASE_URL', ['sqlite', 'postgresql']), 'postgresql');
});

for (const factory of testDatabases('database bootstrap')) {
  describe(`database bootstrap on ${factory.kind}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await factory.create();
    });
    after(() => database.drop());

    test('migrations run at start, once, and the schema is usable (Unicode included)', async () => {
      let orm: MikroORM = await openDatabase({ url: database.url, entities: [Note], migrations });
      try {
        const executed = await orm.getMigrator().getExecutedMigrations();
        assert.deepEqual(
          executed.map((m) => m.name),
          ['0001-create-note', '0002-index-note'],
        );
        const em = orm.em.fork();
        em.create(Note, { text: '微服务 Spring 入门' });
        await em.flush();
      } finally {
        await orm.close();
      }
      orm = await openDatabase({ url: database.url, entities: [Note], migrations });
      try {
        assert.equal((await orm.getMigrator().getPendingMigrations()).length, 0);
        const notes = await orm.em.fork().find(Note, {});
        assert.deepEqual(
          notes.map((n) => n.text),
          ['微服务 Spring 入门'],
        );
      } finally {
        await orm.close();
      }
    });

    test('a process that does not own the schema opens without migrating', async () => {
      const orm = await openDatabase({
        url: database.url,
        entities: [Note],
        migrations: [...migrations, { name: '0003-never', class: CreateNote }],
        migrate: false,
      });
      try {
        assert.deepEqual(
          (await orm.getMigrator().getPendingMigrations()).map((m) => m.name),
          ['0003-never'],
        );
      } finally {
        await orm.close();
      }
    });

    test('every EntityManager of an opened database knows its kind: forks, and those of migrations', async () => {
      let seen: DatabaseKind | undefined;
      class SeeKind extends SchemaMigration {
        override async up(): Promise<void> {
          seen = databaseKindOf(this.getEntityManager());
        }
      }
      const orm = await openDatabase({
        url: database.url,
        entities: [Note],
        migrations: [...migrations, { name: '0003-see-kind', class: SeeKind }],
      });
      try {
        assert.equal(databaseKindOf(orm.em), factory.kind);
        assert.equal(databaseKindOf(orm.em.fork()), factory.kind);
        assert.equal(seen, factory.kind);
      } finally {
        await orm.close();
      }
    });
  });
}
