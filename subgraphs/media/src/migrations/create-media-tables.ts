import { SchemaMigration } from '@learnhub/platform/database';

export class CreateMediaTables extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('media_objects', (t) => {
        t.string('file_md5', 32).primary();
        t.string('media_type', 16).notNullable();
        t.string('mime_type', 127).notNullable();
        t.bigInteger('size_bytes').notNullable();
        t.string('bucket', 63).notNullable();
        t.string('object_key', 512).notNullable();
        t.datetime('created_at').notNullable();
      }),
    );
    this.schema((s) =>
      s.createTable('media_files', (t) => {
        t.bigIncrements('id').primary();
        t.string('organisation_id', 64).notNullable().index('media_files_org_idx');
        t.string('file_md5', 32).notNullable().references('file_md5').inTable('media_objects').onDelete('RESTRICT');
        t.string('file_name', 255).notNullable();
        t.string('tags', 255).nullable();
        t.string('remark', 1024).nullable();
        t.string('audit_status', 16).notNullable();
        t.string('created_by', 64).notNullable();
        t.datetime('created_at').notNullable();
        t.unique(['organisation_id', 'file_md5'], { indexName: 'media_files_org_md5_uq' });
        t.index(['file_md5'], 'media_files_md5_idx');
      }),
    );
  }
}
