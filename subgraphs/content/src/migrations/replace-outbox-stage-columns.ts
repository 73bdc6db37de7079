import { databaseKindOf } from '@learnhub/platform/database';
import { SchemaMigration } from '@learnhub/platform/database';

/** The stage columns of the first outbox, in the order its processor ran them. */
const OLD_STAGES = ['page', 'search', 'cache'];
const TABLES = ['mq_message', 'mq_message_history'];

/**
 * An outbox message's stages become data: one `stages` column holding a JSON list of
 * `{ name, state }` in the processor's order, instead of a column per stage, so a new stage
 * needs no migration. Messages in flight keep their finished stages: each old column's state is
 * carried into the list before the columns go.
 */
export class ReplaceOutboxStageColumns extends SchemaMigration {
  override async up(): Promise<void> {
    for (const table of TABLES) this.schema((s) => s.alterTable(table, (t) => t.text('stages').nullable()));
    // [{"name":"page","state":"<stage_page>"},…] spelled as literal text around each column's value.
    const parts = OLD_STAGES.flatMap((name, i) => [
      `'${i === 0 ? '[' : ','}{"name":"${name}","state":"'`,
      `stage_${name}`,
      `'"}'`,
    ]);
    const list =
      databaseKindOf(this.getEntityManager()) === 'mariadb'
        ? `concat(${parts.join(', ')}, ']')`
        : `${parts.join(' || ')} || ']'`;
    for (const table of TABLES) this.addSql(`update ${table} set stages = ${list}`);
    // SQLite drops one column per statement; knex would rebuild the table instead.
    for (const table of TABLES)
      for (const name of OLD_STAGES) this.addSql(`alter table ${table} drop column stage_${name}`);
  }
}
