import { SchemaMigration } from '@learnhub/platform/database';

export class CreateUploadTables extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('upload_sessions', (t) => {
        t.bigIncrements('id').primary();
        t.string('organisation_id', 64).notNullable();
        t.string('file_md5', 32).notNullable();
        t.string('file_name', 255).notNullable();
        t.bigInteger('file_size').notNullable();
        t.integer('chunk_size').notNullable();
        t.integer('chunk_total').notNullable();
        t.string('state', 16).notNullable();
        t.string('bucket', 63).notNullable();
        t.string('object_key', 512).notNullable();
        t.string('multipart_upload_id', 255).notNullable();
        t.string('mime_type', 127).nullable();
        t.string('failure', 1024).nullable();
        t.string('created_by', 64).notNullable();
        t.datetime('created_at').notNullable();
        t.datetime('last_activity_at').notNullable().index('upload_sessions_activity_idx');
        t.unique(['organisation_id', 'file_md5'], { indexName: 'upload_sessions_org_md5_uq' });
      }),
    );
    this.schema((s) =>
      s.createTable('upload_chunks', (t) => {
        t.bigInteger('session_id')
          .unsigned()
          .notNullable()
          .references('id')
          .inTable('upload_sessions')
          .onDelete('CASCADE');
        t.integer('chunk_index').notNullable();
        t.integer('size_bytes').notNullable();
        t.string('md5', 32).notNullable();
        t.string('part_etag', 128).notNullable();
        t.datetime('received_at').notNullable();
        t.primary(['session_id', 'chunk_index']);
      }),
    );
    this.schema((s) =>
      s.createTable('media_process', (t) => {
        t.bigIncrements('id').primary();
        t.string('file_md5', 32).notNullable().unique({ indexName: 'media_process_md5_uq' });
        t.string('bucket', 63).notNullable();
        t.string('object_key', 512).notNullable();
        t.string('state', 16).notNullable();
        t.integer('attempts').notNullable().defaultTo(0);
        t.string('last_error', 2000).nullable();
        t.datetime('created_at').notNullable();
        t.datetime('updated_at').notNullable();
      }),
    );
  }
}
