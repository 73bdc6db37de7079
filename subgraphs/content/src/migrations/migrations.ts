import type { MigrationObject } from '@mikro-orm/core';
import { AddCategoryIconOrganisation } from './add-category-icon-organisation';
import { AddMediaUsageIndexes } from './add-media-usage-indexes';
import { CreateCourseCategory } from './create-course-category';
import { CreateCourseTables } from './create-course-tables';
import { CreatePublishingTables } from './create-publishing-tables';
import { ReplaceOutboxStageColumns } from './replace-outbox-stage-columns';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const contentMigrations: MigrationObject[] = [
  { name: '0001-create-course-category', class: CreateCourseCategory },
  { name: '0002-create-course-tables', class: CreateCourseTables },
  { name: '0003-create-publishing-tables', class: CreatePublishingTables },
  { name: '0004-add-category-icon-organisation', class: AddCategoryIconOrganisation },
  { name: '0005-add-media-usage-indexes', class: AddMediaUsageIndexes },
  { name: '0006-replace-outbox-stage-columns', class: ReplaceOutboxStageColumns },
];
