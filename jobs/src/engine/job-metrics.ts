import { Counter, Gauge, type Registry } from 'prom-client';
import type { QueueDepth, TaskTable } from '@learnhub/platform/tasks';

/** The engine's Prometheus metrics, labelled by queue. */
export function createJobMetrics(registry: Registry, tables: () => TaskTable[]) {
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['queue'] as const, registers: [registry] });
  // Both gauges are read at scrape time, so the figures are current and cost nothing between
  // scrapes; one database read serves both (prom-client collects metrics concurrently).
  let reading: Promise<Array<[string, QueueDepth]>> | undefined;
  const depths = () => {
    reading ??= Promise.all(
      tables().map(async (t) => [t.definition.queue, await t.depth()] as [string, QueueDepth]),
    ).finally(() => setTimeout(() => (reading = undefined), 100).unref());
    return reading;
  };
  const depth = new Gauge({
    name: 'jobs_queue_depth',
    help: 'Tasks by state (pending, processing, retrying = waiting after a failed attempt, stopped = failed for good or cancelled)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const [queue, d] of await depths()) {
        this.set({ queue, state: 'pending' }, d.pending);
        this.set({ queue, state: 'processing' }, d.processing);
        this.set({ queue, state: 'retrying' }, d.retrying);
        this.set({ queue, state: 'stopped' }, d.stopped);
      }
    },
  });
  const oldest = new Gauge({
    name: 'jobs_oldest_pending_age_seconds',
    help: 'Age of the oldest task waiting for its first attempt',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      for (const [queue, d] of await depths()) this.set({ queue }, d.oldestPendingAgeMs / 1000);
    },
  });
  const counters = {
    claimed: counter('jobs_claimed_total', 'Tasks claimed'),
    succeeded: counter('jobs_succeeded_total', 'Tasks finished successfully'),
    failed: counter('jobs_failed_total', 'Attempts that failed'),
    leaseLost: counter(
      'jobs_lease_lost_total',
      'Tasks whose lease passed to another worker or a person before they finished',
    ),
    released: counter('jobs_released_total', 'Tasks given back at shutdown'),
    deferred: counter('jobs_deferred_total', 'Attempts given back uncounted to wait for a dependency (Redis, say)'),
  };
  // Zero from the start, so rates work before the first event.
  for (const table of tables()) for (const c of Object.values(counters)) c.inc({ queue: table.definition.queue }, 0);
  return {
    ...counters,
    scheduledRuns: new Counter({
      name: 'jobs_scheduled_runs_total',
      help: 'Runs of scheduled processors',
      labelNames: ['schedule', 'outcome'] as const,
      registers: [registry],
    }),
    depth,
    oldest,
  };
}
export type JobMetrics = ReturnType<typeof createJobMetrics>;
