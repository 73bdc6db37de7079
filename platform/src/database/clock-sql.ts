import type { DatabaseKind } from './database-url';

/**
 * SQL for the database's own clock in epoch milliseconds. Leases and heartbeats compare against
 * it, so every worker shares one clock whatever its machine's says. Each is constant within a
 * statement (PostgreSQL's `now()` is the transaction's start), which lets a comparison with it
 * use an index.
 */
export const nowMsSql: Record<DatabaseKind, string> = {
  postgresql: `(extract(epoch from now()) * 1000)::bigint`,
  mariadb: `cast(unix_timestamp(now(3)) * 1000 as signed)`,
  sqlite: `cast(unixepoch('subsec') * 1000 as integer)`,
};
