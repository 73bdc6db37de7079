import { SchemaMigration } from '@learnhub/platform/database';

/** Media references name their owner; a category icon's owner is the organisation whose library holds the image. */
export class AddCategoryIconOrganisation extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.alterTable('course_category', (t) => {
        t.string('icon_organisation_id', 64).nullable();
      }),
    );
  }
}
