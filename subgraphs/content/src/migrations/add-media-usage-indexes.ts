import { SchemaMigration } from '@learnhub/platform/database';

/** Media asks which of an organisation's courses use an item before deleting it: those reads start from the organisation. */
export class AddMediaUsageIndexes extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s
        .alterTable('course_publish', (t) => {
          t.index(['organisation_id', 'status'], 'course_publish_org_status_idx');
        })
        .alterTable('course_publish_pre', (t) => {
          t.index(['organisation_id', 'audit_status'], 'course_publish_pre_org_status_idx');
        }),
    );
  }
}
