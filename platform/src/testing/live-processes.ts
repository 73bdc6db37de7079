import { readdir, readFile } from 'node:fs/promises';

export interface LiveProcess {
  pid: number;
  /** Its command line, one argument per entry. */
  command: string[];
  /** Its environment as `NAME=value` entries. */
  environment: string[];
}

/** Every live process but this one (zombies left out), read from Linux /proc. */
export async function liveProcesses(): Promise<LiveProcess[]> {
  const found: LiveProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/\) Z /.test(await readFile(`/proc/${entry}/stat`, 'utf8'))) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      // Another user's environment is unreadable: such a process is none of ours.
      const environment = (await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => ''))
        .split('\0')
        .filter(Boolean);
      found.push({ pid: Number(entry), command, environment });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Live processes whose command line or environment contains `text`: a folder only one test uses
 * finds every process started for it, orphaned or not.
 */
export async function processesMentioning(text: string): Promise<LiveProcess[]> {
  return (await liveProcesses()).filter((p) => [...p.command, ...p.environment].some((part) => part.includes(text)));
}

/**
 * Pids of the live processes whose environment holds `name=value`, and so of everything they
 * started that inherited it: what a test looks for to prove it left nothing running.
 */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const entry = `${name}=${value}`;
  return (await liveProcesses()).filter((p) => p.environment.includes(entry)).map((p) => p.pid);
}
