import { Redis } from 'ioredis';
import { postgresTestDatabase, type TestDatabase } from '../testing/test-databases';

/** The PostgreSQL server the benchmarks create their fresh databases on. */
export const BENCH_POSTGRES_URL = process.env.BENCH_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A fresh database on the benchmark's PostgreSQL server, or the reason there is none (the server
 * is unreachable), for the caller to print as its one "skipped" line.
 */
export async function freshPostgres(): Promise<TestDatabase | { skipped: string }> {
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000)),
    );
    try {
      return await Promise.race([postgresTestDatabase(BENCH_POSTGRES_URL, 'BENCH_POSTGRES_URL').create(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } catch (error) {
    const url = new URL(BENCH_POSTGRES_URL);
    url.password = '';
    return {
      skipped: `PostgreSQL at ${url.toString()} is unreachable (${error instanceof Error ? error.message : String(error)}); set BENCH_POSTGRES_URL to a server`,
    };
  }
}

/** BENCH_REDIS_URL, else TEST_REDIS_URL, else a local Redis, when it answers a PING; else the reason it is left out. */
export async function reachableRedis(): Promise<{ url: string } | { skipped: string }> {
  const url = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: () => null,
  });
  let cause: unknown;
  redis.on('error', (error: unknown) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return { url };
  } catch (error) {
    const reason = cause ?? error;
    return {
      skipped: `no Redis answered at ${url} (${reason instanceof Error ? reason.message : String(reason)}); set BENCH_REDIS_URL to include it`,
    };
  } finally {
    redis.disconnect();
  }
}

/** The nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Prints rows under a header, each column as wide as its widest cell; the first column left-aligned, the rest right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}
