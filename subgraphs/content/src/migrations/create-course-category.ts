import { SchemaMigration } from '@learnhub/platform/database';
import { seedCategories } from '@learnhub/contracts/published-course';

export class CreateCourseCategory extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('course_category', (t) => {
        t.string('id', 32).primary();
        t.string('name', 64).notNullable();
        t.string('label', 64).nullable();
        t.string('parent_id', 32).nullable().index('course_category_parent_idx');
        t.integer('order_by').notNullable();
        t.boolean('is_show').notNullable().defaultTo(true);
        t.boolean('is_leaf').notNullable().defaultTo(false);
        t.string('icon_media_id', 32).nullable();
      }),
    );
    // The original's hidden root keeps ids compatible with data migrated from it.
    const rows: {
      id: string;
      name: string;
      label: string;
      parent_id: string | null;
      order_by: number;
      is_show: boolean;
      is_leaf: boolean;
    }[] = [{ id: '1', name: '根结点', label: '根结点', parent_id: null, order_by: 1, is_show: true, is_leaf: false }];
    seedCategories.forEach((major, i) => {
      const majorId = `1-${i + 1}`;
      rows.push({
        id: majorId,
        name: major.name,
        label: major.name,
        parent_id: '1',
        order_by: i + 1,
        is_show: true,
        is_leaf: false,
      });
      major.minors.forEach((minor, j) => {
        rows.push({
          id: `${majorId}-${j + 1}`,
          name: minor,
          label: minor,
          parent_id: majorId,
          order_by: j + 1,
          is_show: true,
          is_leaf: true,
        });
      });
    });
    this.addSql(this.getKnex().table('course_category').insert(rows));
  }
}
