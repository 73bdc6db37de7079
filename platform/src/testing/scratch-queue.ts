import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { historyColumns, leaseColumns } from '../tasks/task-columns';
import type { TaskTableDefinition } from '../tasks/task-table';

/**
 * A queue of no-op tasks in tables of its own, for the engine's tests and benchmark: what a
 * processor's owner would create in a migration, with a text payload and nothing else.
 */
export function scratchQueue(name: string): TaskTableDefinition<string> {
  return {
    queue: name,
    table: `${name}_tasks`,
    historyTable: `${name}_history`,
    payloadColumns: ['payload'],
    label: 'Scratch task',
    payloadOf: (row) => String(row.payload),
  };
}

export async function createScratchTables(
  em: EntityManager,
  queue: TaskTableDefinition,
  maxAttempts = 3,
): Promise<void> {
  const knex = (em as SqlEntityManager).getKnex();
  await knex.schema.createTable(queue.table, (t) => {
    t.bigIncrements('id').primary();
    t.string('payload', 255).notNullable();
    t.string('state', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('last_error', 2000).nullable();
    // Epoch milliseconds: the engine reads any of a datetime's forms, and a number is the same on every database.
    t.bigInteger('created_at').notNullable();
    leaseColumns(t, queue.table, maxAttempts);
  });
  await knex.schema.createTable(queue.historyTable, (t) => {
    t.bigInteger('id').primary();
    t.string('payload', 255).notNullable();
    historyColumns(t);
    t.bigInteger('created_at').notNullable();
  });
}

/** Queues `count` tasks, claimable at once, in batches; returns their ids in order. */
export async function enqueueScratch(
  em: EntityManager,
  queue: TaskTableDefinition,
  count: number,
  payload = 'noop',
): Promise<string[]> {
  const knex = (em as SqlEntityManager).getKnex();
  const highest = async (table: string) => Number((await knex(table).max({ m: 'id' }))[0].m ?? 0);
  const before = Math.max(await highest(queue.table), await highest(queue.historyTable));
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({
      payload: `${payload}-${start + i}`,
      state: 'PENDING',
      attempts: 0,
      run_at_ms: Date.now(),
      created_at: Date.now(),
    }));
    await knex(queue.table).insert(rows);
  }
  // Workers may have finished some already: those are in the history.
  const live = await knex(queue.table).where('id', '>', before).pluck('id');
  const done = await knex(queue.historyTable).where('id', '>', before).pluck('id');
  return [...live, ...done].map(String).sort((a, b) => Number(a) - Number(b));
}
