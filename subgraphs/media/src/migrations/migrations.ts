import type { MigrationObject } from '@mikro-orm/core';
import { CreateMediaTables } from './create-media-tables';
import { AddTranscodeLeases } from './add-transcode-leases';
import { CreateUploadTables } from './create-upload-tables';
import { AddUploadQuotas } from './add-upload-quotas';
import { CreateCoursePublications } from './create-course-publications';
import { AddMergeLeases } from './add-merge-leases';
import { AddChunkStates } from './add-chunk-states';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const mediaMigrations: MigrationObject[] = [
  { name: '0001-create-media-tables', class: CreateMediaTables },
  { name: '0002-create-upload-tables', class: CreateUploadTables },
  { name: '0003-add-transcode-leases', class: AddTranscodeLeases },
  { name: '0004-add-upload-quotas', class: AddUploadQuotas },
  { name: '0005-create-course-publications', class: CreateCoursePublications },
  { name: '0006-add-merge-leases', class: AddMergeLeases },
  { name: '0007-add-chunk-states', class: AddChunkStates },
];
