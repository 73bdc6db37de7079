import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';

/**
 * The engine's own bookkeeping, created in each database whose queues it works: worker
 * heartbeats (membership without Redis) and the next run of each schedule. Created on demand
 * rather than by a subgraph's migrations, because they belong to no subgraph.
 */
export async function ensureEngineTables(em: EntityManager): Promise<void> {
  const knex = (em as SqlEntityManager).getKnex();
  const create = async (table: string, build: Parameters<typeof knex.schema.createTable>[1]) => {
    if (await knex.schema.hasTable(table)) return;
    try {
      await knex.schema.createTable(table, build);
    } catch (error) {
      // Another worker starting at the same moment created it first.
      if (!(await knex.schema.hasTable(table))) throw error;
    }
  };
  await create('job_workers', (t) => {
    t.string('member_group', 191).notNullable();
    t.string('worker_id', 64).notNullable();
    t.bigInteger('heartbeat_ms').notNullable();
    t.primary(['member_group', 'worker_id']);
  });
  await create('job_schedules', (t) => {
    t.string('name', 64).primary();
    t.string('cron', 128).notNullable();
    t.bigInteger('next_run_ms').notNullable();
    t.string('last_run_by', 64).nullable();
    t.bigInteger('last_run_ms').nullable();
  });
}
