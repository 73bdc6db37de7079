import { SchemaMigration } from '@learnhub/platform/database';
import { leaseHolderColumns } from '@learnhub/platform/tasks';

/**
 * A merge holds a lease on its upload session, so that a merge whose process died is taken over
 * (finished or rolled back) instead of leaving the upload MERGING for good; the session keeps
 * what the merge will record (name, tags, remark, who merged) so anyone taking over can finish it.
 * Sessions already MERGING have no lease, which counts as expired: the next caller takes them over.
 */
export class AddMergeLeases extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.alterTable('upload_sessions', (t) => {
        leaseHolderColumns(t);
        t.string('tags', 255).nullable();
        t.string('remark', 1024).nullable();
        t.string('merged_by', 64).nullable();
        // The cleanup job's search for merges whose lease ran out.
        t.index(['state', 'lease_until_ms'], 'upload_sessions_state_lease_idx');
      }),
    );
  }
}
