import { nowMsSql } from '@learnhub/platform/database';
import { databaseKindOf } from '@learnhub/platform/database';
import { sqlChanges, sqlRows } from '@learnhub/platform/database';
import type { Logger } from '@learnhub/platform/logger';
import type { JobMetrics } from './job-metrics';
import type { ScheduledProcessor } from '@learnhub/platform/tasks';

/**
 * Runs a scheduled processor at each due time, on exactly one of the workers that have it: the
 * worker whose compare-and-set moves the schedule's `next_run_ms` forward runs it. Setting
 * `next_run_ms` to 0 makes it due at once (an operator's "run now").
 */
export class ScheduleRunner {
  private current?: Promise<void>;
  private readonly controller = new AbortController();

  constructor(
    private readonly processor: ScheduledProcessor,
    private readonly workerId: string,
    private readonly metrics: JobMetrics,
    private readonly log: Logger,
  ) {}

  get em() {
    return this.processor.em;
  }

  /** Checks whether the schedule is due and, if this worker wins it, starts a run. */
  async tick(): Promise<void> {
    if (this.current || this.controller.signal.aborted) return;
    if (!(await this.claimDueRun())) return;
    const { name } = this.processor;
    const log = this.log.child({ schedule: name });
    const started = Date.now();
    this.current = this.processor
      .run(this.controller.signal, log)
      .then((summary) => {
        this.metrics.scheduledRuns.inc({ schedule: name, outcome: 'succeeded' });
        log.info({ ...summary, durationMs: Date.now() - started }, 'scheduled run finished');
      })
      .catch((error) => {
        this.metrics.scheduledRuns.inc({ schedule: name, outcome: 'failed' });
        log.error({ err: error }, 'scheduled run failed; it runs again at its next due time');
      })
      .finally(() => (this.current = undefined));
  }

  private async claimDueRun(): Promise<boolean> {
    const { name, schedule, em } = this.processor;
    const kind = databaseKindOf(em);
    const now = nowMsSql[kind];
    const [row] = await sqlRows(em, `select cron, next_run_ms, ${now} as now_ms from job_schedules where name = ?`, [
      name,
    ]);
    if (!row) {
      const first = schedule.next(new Date(Date.now())).getTime();
      const insert = kind === 'mariadb' ? 'insert ignore into' : 'insert into';
      const onConflict = kind === 'mariadb' ? '' : ' on conflict (name) do nothing';
      await sqlChanges(em, `${insert} job_schedules (name, cron, next_run_ms) values (?, ?, ?)${onConflict}`, [
        name,
        schedule.expression,
        first,
      ]);
      return false;
    }
    const nowMs = Number(row.now_ms);
    const next = schedule.next(new Date(nowMs)).getTime();
    if (row.cron !== schedule.expression) {
      // The configured schedule changed: the next run follows the new one.
      await sqlChanges(em, 'update job_schedules set cron = ?, next_run_ms = ? where name = ? and cron = ?', [
        schedule.expression,
        next,
        name,
        row.cron,
      ]);
      return false;
    }
    if (Number(row.next_run_ms) > nowMs) return false;
    const won = await sqlChanges(
      em,
      'update job_schedules set next_run_ms = ?, last_run_by = ?, last_run_ms = ? where name = ? and next_run_ms = ?',
      [next, this.workerId, nowMs, name, row.next_run_ms],
    );
    return won === 1;
  }

  /** Aborts a run in progress and waits for it to end. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.current;
  }
}
