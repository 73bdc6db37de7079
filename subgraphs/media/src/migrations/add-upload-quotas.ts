import { SchemaMigration } from '@learnhub/platform/database';

/**
 * Per-organisation upload quotas: one row per organisation that every media process locks
 * before it counts that organisation's open uploads and opens another, and an index for that count.
 */
export class AddUploadQuotas extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('upload_quota_locks', (t) => {
        t.string('organisation_id', 64).primary();
        // Sessions admitted so far; bumping it is what takes the lock.
        t.bigInteger('admissions').notNullable().defaultTo(0);
      }),
    );
    this.schema((s) =>
      s.alterTable('upload_sessions', (t) => {
        t.index(['organisation_id', 'state', 'last_activity_at'], 'upload_sessions_org_open_idx');
      }),
    );
  }
}
