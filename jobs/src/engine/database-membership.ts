import type { EntityManager } from '@mikro-orm/core';
import { nowMsSql } from '@learnhub/platform/database';
import { databaseKindOf } from '@learnhub/platform/database';
import { sqlChanges, sqlRows } from '@learnhub/platform/database';
import type { Membership } from './membership';

/** Membership kept in the queue's own database (`job_workers`), timed by the database's clock. */
export class DatabaseMembership implements Membership {
  private readonly now: string;

  constructor(private readonly em: EntityManager) {
    this.now = nowMsSql[databaseKindOf(em)];
  }

  async beat(group: string, workerId: string, ttlMs: number): Promise<string[]> {
    const upsert =
      databaseKindOf(this.em) === 'mariadb'
        ? `insert into job_workers (member_group, worker_id, heartbeat_ms) values (?, ?, ${this.now}) on duplicate key update heartbeat_ms = values(heartbeat_ms)`
        : `insert into job_workers (member_group, worker_id, heartbeat_ms) values (?, ?, ${this.now}) on conflict (member_group, worker_id) do update set heartbeat_ms = excluded.heartbeat_ms`;
    await sqlChanges(this.em, upsert, [group, workerId]);
    // Long-gone members are removed by whoever beats next, so the table stays small.
    await sqlChanges(
      this.em,
      `delete from job_workers where member_group = ? and heartbeat_ms < ${this.now} - ? and worker_id <> ?`,
      [group, ttlMs * 10, workerId],
    );
    // The member beating now is live even when the statements before took longer than the time-to-live (a loaded machine).
    const rows = await sqlRows(
      this.em,
      `select worker_id from job_workers where member_group = ? and (heartbeat_ms >= ${this.now} - ? or worker_id = ?) order by worker_id`,
      [group, ttlMs, workerId],
    );
    return rows.map((r) => String(r.worker_id));
  }

  async leave(group: string, workerId: string): Promise<void> {
    await sqlChanges(this.em, 'delete from job_workers where member_group = ? and worker_id = ?', [group, workerId]);
  }

  async close(): Promise<void> {}
}
