import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceProcess } from '../testing/service-process';

const SAMPLE_EVERY_MS = 20;

/**
 * A benchmark's temp folder and child processes, removed and killed on every way out (success,
 * failure, Ctrl-C, a crash), so nothing outlives the run.
 */
async function benchWorkspace(name: string): Promise<{ dir: string; services: ServiceProcess[]; cleanUp(): void }> {
  const dir = await mkdtemp(join(tmpdir(), `learnhub-${name}-`));
  const services: ServiceProcess[] = [];
  const cleanUpNow = () => {
    for (const { child } of services) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanUpNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUpNow();
      process.exit(130);
    });
  }
  return { dir, services, cleanUp: cleanUpNow };
}

/**
 * Runs a benchmark (Linux only: it reads /proc) with its own temp folder; the services it pushes
 * onto `services` are stopped and the folder removed however it ends. A failure is printed and
 * sets the exit code.
 */
export function runBenchmark(
  name: string,
  body: (workspace: { dir: string; services: ServiceProcess[] }) => Promise<void>,
): void {
  const run = async () => {
    if (!existsSync('/proc/self/status'))
      throw new Error('This benchmark reads RSS and CPU time from /proc: run it on Linux.');
    const { dir, services, cleanUp } = await benchWorkspace(name);
    try {
      await body({ dir, services });
    } finally {
      await Promise.all(services.map((service) => service.stop()));
      cleanUp();
    }
  };
  run().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

/** A process's resident memory from /proc (Linux), in MiB. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(match[1]) / 1024;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in seconds, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Runs `work` while sampling each pid's RSS every 20 ms; returns its result and each pid's RSS before and at its peak. */
export async function whileSampling<T>(
  pids: number[],
  work: () => Promise<T>,
): Promise<{ result: T; before: number[]; peak: number[] }> {
  const before = pids.map(rssMiB);
  const peak = [...before];
  const sample = () => pids.forEach((pid, i) => (peak[i] = Math.max(peak[i], rssMiB(pid))));
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  try {
    const result = await work();
    sample();
    return { result, before, peak };
  } finally {
    clearInterval(timer);
  }
}

export const SAMPLING_NOTE = `sampled every ${SAMPLE_EVERY_MS} ms`;
