import { SchemaMigration } from '@learnhub/platform/database';
import { historyColumns, leaseColumns } from '@learnhub/platform/tasks';

/**
 * Transcoding tasks become leased jobs-engine tasks: lease columns, the probe facts the worker
 * needs (so it need not probe again), a history table for finished tasks, and the transcoded
 * output on the stored object.
 */
export class AddTranscodeLeases extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.alterTable('media_process', (t) => {
        leaseColumns(t, 'media_process', 3);
        t.string('video_codec', 32).nullable();
        t.string('audio_codec', 32).nullable();
        t.double('duration_seconds').nullable();
      }),
    );
    this.schema((s) =>
      s.createTable('media_process_history', (t) => {
        t.bigInteger('id').primary();
        t.string('file_md5', 32).notNullable().index('media_process_history_md5_idx');
        t.string('bucket', 63).notNullable();
        t.string('object_key', 512).notNullable();
        historyColumns(t);
        t.datetime('created_at').notNullable();
      }),
    );
    this.schema((s) =>
      s.alterTable('media_objects', (t) => {
        t.string('playback_key', 512).nullable();
        t.string('poster_key', 512).nullable();
        t.double('duration_seconds').nullable();
        t.integer('width').nullable();
        t.integer('height').nullable();
      }),
    );
    // Tasks queued before leases existed: waiting ones become claimable, finished ones history. One
    // PROCESSING then has no lease to expire, so it counts as expired: claimable again, or marked
    // failed by the engine when it was on its last attempt, instead of stuck for good.
    this.addSql(
      `update media_process set run_at_ms = 0 where state in ('PENDING', 'PROCESSING') or (state = 'FAILED' and attempts < 3)`,
    );
    this.addSql(
      `insert into media_process_history (id, file_md5, bucket, object_key, attempts, finished_by, finished_at_ms, created_at)
       select id, file_md5, bucket, object_key, attempts, 'before-leases', ${Date.now()}, created_at from media_process where state = 'SUCCEEDED'`,
    );
    this.addSql(`delete from media_process where state = 'SUCCEEDED'`);
  }
}
