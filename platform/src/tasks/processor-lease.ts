import type { Config } from '../config';
import type { BackoffPolicy } from './backoff';

/** How a processor holds its tasks: the lease, its renewals, and the wait before a retry. */
export interface ProcessorLease {
  /** A task whose holder stops renewing for this long is claimable by another worker. */
  leaseMs: number;
  /** How often a running task's lease is extended (and its progress stored). */
  renewEveryMs: number;
  backoff: BackoffPolicy;
}

/** The lease every processor of a worker runs with, from the jobs settings (JOBS_LEASE_MS, JOBS_RENEW_MS, JOBS_RETRY_*). */
export function processorLeaseOf(
  jobs: Pick<Config['jobs'], 'leaseMs' | 'renewEveryMs' | 'retryBaseMs' | 'retryMaxMs'>,
): ProcessorLease {
  return {
    leaseMs: jobs.leaseMs,
    renewEveryMs: jobs.renewEveryMs,
    backoff: { baseMs: jobs.retryBaseMs, maxMs: jobs.retryMaxMs },
  };
}
