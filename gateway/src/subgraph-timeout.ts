import { AppError, ErrorCode } from '@learnhub/platform/errors';

/** A subgraph that neither answered nor, for an upload, took a byte within the gateway's deadline (SUBGRAPH_TIMEOUT_SECONDS). */
export function subgraphTimeout(service: string, timeoutMs: number): AppError {
  return new AppError(
    ErrorCode.INTERNAL,
    `The ${service} service did not answer within ${timeoutMs / 1000} s: try again shortly.`,
    { reason: 'SUBGRAPH_TIMEOUT' },
  );
}
