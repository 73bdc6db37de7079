import type { Knex } from '@mikro-orm/knex';

type TableBuilder = Knex.CreateTableBuilder | Knex.AlterTableBuilder;

/**
 * The columns the jobs engine claims, leases and retries a task by, for migrations of the table
 * that holds a queue's tasks. Times are epoch milliseconds from the database's own clock, so
 * every worker compares leases against one clock whatever its own says.
 */
export function leaseColumns(t: TableBuilder, table: string, maxAttempts: number): void {
  t.integer('max_attempts').notNullable().defaultTo(maxAttempts);
  // Claimable at or after this instant; NULL once no automatic attempt will follow. Claims walk
  // the index in this order, so only due tasks are read, oldest first.
  t.bigInteger('run_at_ms').nullable();
  leaseHolderColumns(t);
  t.integer('progress').nullable();
  t.index(['run_at_ms', 'id'], `${table}_run_at_idx`);
}

/**
 * Who holds a row's lease: the holder's name, the token that fences its writes, and when the
 * lease ends (epoch milliseconds of the database's clock). NULL when nobody holds it.
 */
export function leaseHolderColumns(t: TableBuilder): void {
  t.string('lease_owner', 64).nullable();
  t.string('lease_token', 64).nullable();
  t.bigInteger('lease_until_ms').nullable();
}

/** What a queue's history table keeps of each finished task besides its own payload columns. */
export function historyColumns(t: TableBuilder): void {
  t.integer('attempts').notNullable();
  t.string('finished_by', 64).notNullable();
  t.bigInteger('finished_at_ms').notNullable().index();
}
