import { SchemaMigration } from '@learnhub/platform/database';
import { historyColumns, leaseColumns } from '@learnhub/platform/tasks';

/**
 * Audit and publishing: the pre-publish snapshot an auditor reviews, the audit records, the
 * published record, and the publish outbox (mq_message) with its history.
 */
export class CreatePublishingTables extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('course_publish_pre', (t) => {
        // One snapshot per course, replaced by each submission.
        t.bigInteger('id').unsigned().primary().references('id').inTable('course_base').onDelete('CASCADE');
        t.string('organisation_id', 64).notNullable();
        t.string('name', 100).notNullable();
        t.text('snapshot').notNullable();
        t.string('audit_status', 16).notNullable();
        t.datetime('submitted_at').notNullable();
        t.string('submitted_by', 64).notNullable();
        t.datetime('audited_at').nullable();
        t.string('audited_by', 64).nullable();
        t.index(['audit_status', 'submitted_at'], 'course_publish_pre_queue_idx');
      }),
    );
    this.schema((s) =>
      s.createTable('course_audit', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('course_id').unsigned().notNullable().references('id').inTable('course_base').onDelete('CASCADE');
        t.string('decision', 16).notNullable();
        t.string('opinion', 500).notNullable();
        t.string('auditor_id', 64).notNullable();
        t.datetime('audited_at').notNullable();
        t.datetime('submitted_at').notNullable();
        t.index(['course_id', 'id'], 'course_audit_course_idx');
      }),
    );
    this.schema((s) =>
      s.createTable('course_publish', (t) => {
        // Outlives a course's draft being edited; never deleted while the course exists.
        t.bigInteger('id').unsigned().primary().references('id').inTable('course_base').onDelete('CASCADE');
        t.string('organisation_id', 64).notNullable();
        t.string('name', 100).notNullable();
        t.text('snapshot').notNullable();
        t.string('status', 16).notNullable();
        t.integer('version').notNullable();
        // The version the static page in object storage shows (see the outbox's page stage).
        t.integer('page_version').notNullable().defaultTo(0);
        t.datetime('published_at').notNullable();
        t.string('published_by', 64).notNullable();
        t.datetime('online_at').nullable();
        t.datetime('offline_at').nullable();
        t.datetime('changed_at').notNullable();
      }),
    );
    this.schema((s) =>
      s.createTable('mq_message', (t) => {
        t.bigIncrements('id').primary();
        t.string('message_type', 32).notNullable();
        t.string('business_key1', 64).notNullable();
        t.string('business_key2', 64).nullable();
        t.string('business_key3', 64).nullable();
        t.string('state', 16).notNullable().defaultTo('PENDING');
        t.integer('attempts').notNullable().defaultTo(0);
        // Ten attempts ride out about 40 minutes of an unreachable search service or object store.
        leaseColumns(t, 'mq_message', 10);
        t.string('stage_page', 16).notNullable().defaultTo('PENDING');
        t.string('stage_search', 16).notNullable().defaultTo('PENDING');
        t.string('stage_cache', 16).notNullable().defaultTo('PENDING');
        t.string('last_result', 500).nullable();
        t.bigInteger('last_success_ms').nullable();
        t.string('last_error', 2000).nullable();
        t.bigInteger('last_failure_ms').nullable();
        t.datetime('created_at').notNullable();
        t.index(['business_key1'], 'mq_message_key1_idx');
      }),
    );
    this.schema((s) =>
      s.createTable('mq_message_history', (t) => {
        t.bigInteger('id').primary();
        t.string('message_type', 32).notNullable();
        t.string('business_key1', 64).notNullable().index('mq_message_history_key1_idx');
        t.string('business_key2', 64).nullable();
        t.string('business_key3', 64).nullable();
        t.string('stage_page', 16).notNullable();
        t.string('stage_search', 16).notNullable();
        t.string('stage_cache', 16).notNullable();
        t.string('last_result', 500).nullable();
        historyColumns(t);
        t.datetime('created_at').notNullable();
      }),
    );
  }
}
