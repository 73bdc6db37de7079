import { SchemaMigration } from '@learnhub/platform/database';

export class CreateCourseTables extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('course_base', (t) => {
        t.bigIncrements('id').primary();
        t.string('organisation_id', 64).notNullable().index('course_base_org_idx');
        t.string('name', 100).notNullable();
        t.string('audience', 500).notNullable();
        t.string('tags', 200).nullable();
        t.string('mt', 32).notNullable();
        t.string('st', 32).notNullable();
        t.string('grade', 16).notNullable();
        t.string('teaching_mode', 16).notNullable();
        t.text('description').nullable();
        t.string('cover_media_id', 32).nullable();
        t.string('audit_status', 16).notNullable();
        t.string('publish_status', 16).notNullable();
        t.datetime('created_at').notNullable();
        t.datetime('changed_at').notNullable();
        t.string('created_by', 64).notNullable();
        t.string('changed_by', 64).notNullable();
      }),
    );
    this.schema((s) =>
      s.createTable('course_market', (t) => {
        t.bigInteger('id').unsigned().primary().references('id').inTable('course_base').onDelete('CASCADE');
        t.string('charge', 8).notNullable();
        // Whole cents: exact on every backend, where SQLite would store a DECIMAL as a float.
        t.bigInteger('price_cents').notNullable();
        t.bigInteger('original_price_cents').nullable();
        t.string('qq', 32).nullable();
        t.string('wechat', 64).nullable();
        t.string('phone', 32).nullable();
        t.integer('valid_days').nullable();
      }),
    );
    this.schema((s) =>
      s.createTable('teachplan', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('course_id').unsigned().notNullable().references('id').inTable('course_base').onDelete('CASCADE');
        t.bigInteger('parent_id').notNullable();
        t.smallint('grade').notNullable();
        t.string('name', 100).notNullable();
        t.integer('order_by').notNullable();
        t.string('description', 1000).nullable();
        t.boolean('is_preview').notNullable().defaultTo(false);
        t.datetime('start_time').nullable();
        t.datetime('end_time').nullable();
        t.integer('duration_seconds').nullable();
        t.datetime('created_at').notNullable();
        t.datetime('changed_at').notNullable();
        // The safety net under the ordering rules: no two siblings ever share a position.
        t.unique(['course_id', 'parent_id', 'order_by'], { indexName: 'teachplan_sibling_order_uq' });
      }),
    );
    this.schema((s) =>
      s.createTable('teachplan_media', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('teachplan_id').unsigned().notNullable().references('id').inTable('teachplan').onDelete('CASCADE');
        t.bigInteger('course_id').unsigned().notNullable().references('id').inTable('course_base').onDelete('CASCADE');
        t.string('media_id', 32).notNullable();
        t.string('media_file_name', 255).notNullable();
        t.string('created_by', 64).notNullable();
        t.datetime('created_at').notNullable();
        t.unique(['teachplan_id'], { indexName: 'teachplan_media_teachplan_uq' });
        t.index(['course_id'], 'teachplan_media_course_idx');
      }),
    );
    this.schema((s) =>
      s.createTable('course_teacher', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('course_id').unsigned().notNullable().references('id').inTable('course_base').onDelete('CASCADE');
        t.string('name', 60).notNullable();
        t.string('position', 100).nullable();
        t.string('introduction', 2000).nullable();
        t.string('photo_media_id', 32).nullable();
        t.datetime('created_at').notNullable();
        t.unique(['course_id', 'name'], { indexName: 'course_teacher_name_uq' });
      }),
    );
  }
}
