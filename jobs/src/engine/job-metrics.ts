import { Counter, Gauge, type Registry } from 'prom-client';
import type { TaskTable } from '@learnhub/platform/tasks/task-table';

/** The engine's Prometheus metrics, labelled by queue. */
export function createJobMetrics(registry: Registry, tables: () => TaskTable[]) {
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['queue'] as const, registers: [registry] });
  const depth = new Gauge({
    name: 'jobs_queue_depth',
    help: 'Tasks by state (pending, processing, retrying = waiting after a failed attempt, stopped = failed for good or cancelled)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
  });
  const oldest = new Gauge({
    name: 'jobs_oldest_pending_age_seconds',
    help: 'Age of the oldest task waiting for its first attempt',
    labelNames: ['queue'] as const,
    registers: [registry],
    // Read at scrape time, so the figures are current and cost nothing between scrapes.
    async collect() {
      for (const table of tables()) {
        const queue = table.definition.queue;
        const d = await table.depth();
        depth.set({ queue, state: 'pending' }, d.pending);
        depth.set({ queue, state: 'processing' }, d.processing);
        depth.set({ queue, state: 'retrying' }, d.retrying);
        depth.set({ queue, state: 'stopped' }, d.stopped);
        this.set({ queue }, d.oldestPendingAgeMs / 1000);
      }
    },
  });
  return {
    claimed: counter('jobs_claimed_total', 'Tasks claimed'),
    succeeded: counter('jobs_succeeded_total', 'Tasks finished successfully'),
    failed: counter('jobs_failed_total', 'Attempts that failed'),
    leaseLost: counter('jobs_lease_lost_total', 'Tasks whose lease passed to another worker or a person before they finished'),
    released: counter('jobs_released_total', 'Tasks given back at shutdown'),
    scheduledRuns: new Counter({ name: 'jobs_scheduled_runs_total', help: 'Runs of scheduled processors', labelNames: ['schedule', 'outcome'] as const, registers: [registry] }),
    depth,
    oldest,
  };
}
export type JobMetrics = ReturnType<typeof createJobMetrics>;
