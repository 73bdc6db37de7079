import { PostgresSearchIndex } from './postgres-search-index';
import type { SearchIndex } from './search-index';
import { SqliteSearchIndex } from './sqlite-search-index';

/** Which engine a search index URL names: `sqlite:<file>` (embedded) or a PostgreSQL URL; undefined for anything else. */
export function searchIndexKind(url: string): SearchIndex['kind'] | undefined {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  return undefined;
}

/** Opens (creating when new) the index a URL names. */
export async function openSearchIndex(url: string): Promise<SearchIndex> {
  switch (searchIndexKind(url)) {
    case 'sqlite':
      return new SqliteSearchIndex(url.slice('sqlite:'.length));
    case 'postgresql':
      return PostgresSearchIndex.open(url);
    default:
      throw new Error(`Unsupported search index URL "${url}": use sqlite:<file> or postgresql://…`);
  }
}
