import type { MigrationObject } from '@mikro-orm/core';
import { CreateMediaTables } from './create-media-tables';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const mediaMigrations: MigrationObject[] = [{ name: '0001-create-media-tables', class: CreateMediaTables }];
