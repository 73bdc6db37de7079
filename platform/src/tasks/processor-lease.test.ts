import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../config';
import { processorLeaseOf } from './processor-lease';

test('a processor lease comes from the jobs settings', () => {
  const jobs = readConfig({
    JOBS_LEASE_MS: '8000',
    JOBS_RENEW_MS: '2000',
    JOBS_RETRY_BASE_MS: '300',
    JOBS_RETRY_MAX_MS: '9000',
  }).jobs;
  assert.deepEqual(processorLeaseOf(jobs), {
    leaseMs: 8_000,
    renewEveryMs: 2_000,
    backoff: { baseMs: 300, maxMs: 9_000 },
  });
});
