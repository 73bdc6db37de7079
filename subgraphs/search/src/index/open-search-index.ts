import { SEARCH_INDEX_KINDS } from '@learnhub/platform/config';
import { databaseKind, sqliteName } from '@learnhub/platform/database';
import { PostgresSearchIndex } from './postgres-search-index';
import type { SearchIndex } from './search-index';
import { SqliteSearchIndex } from './sqlite-search-index';

/**
 * Which engine a search index URL names: `sqlite:<file>` (embedded) or a PostgreSQL URL. Any
 * other is refused with BAD_USER_INPUT (UNSUPPORTED_DATABASE_URL), naming `setting`.
 */
export function searchIndexKind(url: string, setting = 'The search index URL'): (typeof SEARCH_INDEX_KINDS)[number] {
  return databaseKind(url, setting, SEARCH_INDEX_KINDS);
}

/** Opens (creating when new) the index a URL names. */
export async function openSearchIndex(url: string): Promise<SearchIndex> {
  switch (searchIndexKind(url)) {
    case 'sqlite':
      return new SqliteSearchIndex(sqliteName(url));
    case 'postgresql':
      return PostgresSearchIndex.open(url);
  }
}
