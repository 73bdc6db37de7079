import type { DatabaseKind } from './open-database';

/**
 * SQL for the database's own clock in epoch milliseconds. Leases and heartbeats compare against
 * it, so every worker shares one clock whatever its machine's says.
 */
export const nowMsSql: Record<DatabaseKind, string> = {
  postgresql: `(extract(epoch from clock_timestamp()) * 1000)::bigint`,
  mariadb: `cast(unix_timestamp(now(3)) * 1000 as signed)`,
  sqlite: `cast(unixepoch('subsec') * 1000 as integer)`,
};
