import { Migration } from '@mikro-orm/migrations';
import type { Knex } from '@mikro-orm/knex';

/**
 * A migration written with knex's schema builder, so one file serves SQLite, PostgreSQL and
 * MariaDB alike; each generated statement is queued separately (MariaDB refuses multi-statements).
 */
export abstract class SchemaMigration extends Migration {
  protected schema(build: (schema: Knex.SchemaBuilder) => Knex.SchemaBuilder): void {
    const statements = build(this.getKnex().schema).toSQL() as unknown as Knex.Sql | Knex.Sql[];
    for (const statement of Array.isArray(statements) ? statements : [statements]) {
      this.addSql(statement.sql);
    }
  }
}
