import { Type, type Platform } from '@mikro-orm/core';

/**
 * Money as an exact two-place decimal string ("199.90") in code, stored as whole cents in a
 * bigint column: exact on every backend (SQLite has no DECIMAL, and knex declares one as float;
 * the original system lost cents to float columns).
 */
export class MoneyType extends Type<string | null | undefined, string | null | undefined> {
  override convertToDatabaseValue(value: string | null | undefined): string | null | undefined {
    if (value == null) return value;
    const match = /^(\d+)\.(\d{2})$/.exec(value);
    if (!match) throw new Error(`Money must be normalised to two decimal places before storing, got "${value}".`);
    return (BigInt(match[1]) * 100n + BigInt(match[2])).toString();
  }

  override convertToJSValue(value: string | number | bigint | null | undefined): string | null | undefined {
    if (value == null) return value;
    const cents = BigInt(value);
    return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
  }

  override getColumnType(_prop: unknown, platform: Platform): string {
    return platform.getBigIntTypeDeclarationSQL({});
  }

  override compareAsType(): string {
    return 'string';
  }
}
