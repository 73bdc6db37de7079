import { PostgresSearchIndex } from './postgres-search-index';
import type { SearchIndex } from './search-index';
import { SqliteSearchIndex } from './sqlite-search-index';

/** The index a URL names: `sqlite:<file>` for the embedded index, else a PostgreSQL URL. */
export async function openSearchIndex(url: string): Promise<SearchIndex> {
  if (url.startsWith('sqlite:')) return new SqliteSearchIndex(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return PostgresSearchIndex.open(url);
  throw new Error(`Unsupported search index URL "${url}": use sqlite:<file> or postgresql://…`);
}
