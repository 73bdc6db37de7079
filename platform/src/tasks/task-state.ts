/**
 * Where a queued task stands. The live table holds PENDING, PROCESSING, FAILED and CANCELLED
 * tasks; a SUCCEEDED one has moved to the history table.
 */
export enum TaskState {
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  SUCCEEDED = 'SUCCEEDED',
}
