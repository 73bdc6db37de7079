import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Logger, run, type Runner } from 'graphile-worker';
import { epochMs } from '@learnhub/platform/bench';

/**
 * The other side of the claim-throughput benchmark: graphile-worker's `run()` in its own process
 * with one no-op task, at its defaults except the concurrency (CONCURRENCY, as ours) and a
 * logger that drops info and debug lines, as our worker logs warnings only (its default logger
 * prints a line per finished job). Like ours it remembers the id of every job it starts in memory
 * and starts only when told.
 *
 * Environment: DATABASE_URL, CONCURRENCY, STARTS_FILE. Protocol: prints `{"ready":…}`; reads
 * `go` and `stop` on stdin; at `stop` writes `{workerId, starts, firstStartMs}` to STARTS_FILE.
 */
async function main(): Promise<void> {
  const env = process.env;
  const workerId = `graphile-${process.pid}`;
  const starts: string[] = [];
  let firstStartMs: number | undefined;
  const logger = new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
  });

  let runner: Promise<Runner> | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (runner) await (await runner).stop();
    if (env.STARTS_FILE) writeFileSync(env.STARTS_FILE, JSON.stringify({ workerId, starts, firstStartMs }));
    process.stdout.write(`${JSON.stringify({ stopped: workerId })}\n`);
    process.exit(0);
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'go' && !runner && !stopping) {
      runner = run({
        connectionString: env.DATABASE_URL,
        concurrency: Number(env.CONCURRENCY ?? 4),
        noHandleSignals: true,
        logger,
        taskList: {
          async noop(_payload, helpers) {
            firstStartMs ??= epochMs();
            starts.push(String(helpers.job.id));
          },
        },
      });
      runner.catch((error: unknown) => {
        process.stderr.write(
          `graphile-worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
        );
        process.exit(1);
      });
    } else if (line === 'stop') void stop();
  });
  process.once('SIGTERM', () => void stop());
  process.stdout.write(`${JSON.stringify({ ready: workerId })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`graphile bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
