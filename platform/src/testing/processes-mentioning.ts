import { readdir, readFile } from 'node:fs/promises';

export interface LiveProcess {
  pid: number;
  /** Its command line, one argument per entry. */
  command: string[];
}

/**
 * Live processes (zombies left out) whose command line or environment contains `text`, read from
 * /proc: a folder only one test uses finds every process started for it, orphaned or not.
 */
export async function processesMentioning(text: string): Promise<LiveProcess[]> {
  const found: LiveProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/\) Z /.test(await readFile(`/proc/${entry}/stat`, 'utf8'))) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      const environment = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
      if (command.some((arg) => arg.includes(text)) || environment.includes(text)) found.push({ pid: Number(entry), command });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
