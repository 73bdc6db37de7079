import { raw } from '@mikro-orm/core';

/**
 * A filter condition "column contains text", literally (`%` and `_` match only themselves) and
 * ignoring case on every backend (PostgreSQL's LIKE alone does not). The escape character is
 * explicit because SQLite has none by default, and `!` is spelt the same in every dialect.
 * Spread the result into a MikroORM `where`.
 */
export function containsText(column: string, text: string): Record<string, unknown[]> {
  const pattern = `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return { [raw((alias) => `lower(${alias}.${column}) like ? escape '!'`, [pattern])]: [] };
}
