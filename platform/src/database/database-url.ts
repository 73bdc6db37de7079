import { badInput } from '../errors';

export type DatabaseKind = 'sqlite' | 'postgresql' | 'mariadb';

const DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'postgresql', 'mariadb'];

const schemes: Record<DatabaseKind, { pattern: RegExp; shown: string }> = {
  sqlite: { pattern: /^sqlite:/, shown: 'sqlite:<file>' },
  postgresql: { pattern: /^postgres(ql)?:\/\//, shown: 'postgresql://…' },
  mariadb: { pattern: /^(mysql|mariadb):\/\//, shown: 'mysql://… / mariadb://…' },
};

/**
 * The kind of database a URL names: `sqlite:<file>`, `postgresql://…` (or `postgres://…`),
 * `mysql://…` or `mariadb://…`. Anything else, or a kind outside `accepted`, is refused with
 * BAD_USER_INPUT (reason UNSUPPORTED_DATABASE_URL) naming `setting` and what it may hold.
 */
export function databaseKind<K extends DatabaseKind = DatabaseKind>(
  url: string,
  setting = 'The database URL',
  accepted: readonly K[] = DATABASE_KINDS as readonly K[],
): K {
  const kind = accepted.find((candidate) => schemes[candidate].pattern.test(url));
  if (kind) return kind;
  const shown = accepted.map((candidate) => schemes[candidate].shown);
  const choices = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : shown[0];
  throw badInput(`${setting} "${url}" must be ${choices}.`, { reason: 'UNSUPPORTED_DATABASE_URL' });
}

/** What follows `sqlite:`: the file, or `:memory:` and its like, as SQLite opens it. */
export function sqliteName(url: string): string {
  return url.slice('sqlite:'.length);
}

/** The file of a `sqlite:<file>` URL; undefined for an in-memory database, which no other process can reach. */
export function sqliteFile(url: string): string | undefined {
  const file = sqliteName(url);
  return file === '' || file === ':memory:' || file.startsWith('file::memory:') ? undefined : file;
}
