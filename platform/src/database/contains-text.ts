import { raw } from '@mikro-orm/core';
import { badInput } from '../errors';

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

/**
 * The text of a "contains" filter on a column of at most `maxLength` characters: trimmed, absent
 * when empty, refused when longer than anything the column holds (SQLite also refuses LIKE
 * patterns over 50,000 bytes).
 */
export function containsFilterText(
  field: string,
  text: string | null | undefined,
  maxLength: number,
): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > maxLength) {
    throw badInput(`${field} is longer than any stored value can be: search with at most ${maxLength} characters.`, {
      fields: [{ field, message: `at most ${maxLength} characters` }],
    });
  }
  return trimmed;
}
