import { readdir, readFile } from 'node:fs/promises';

/**
 * Pids of the live processes whose environment holds `name=value`, and so of everything they
 * started that inherited it (Linux /proc): what a test looks for to prove it left nothing running.
 */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const entry = `${name}=${value}`;
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    // Unreadable: gone meanwhile, or another user's. A zombie's environment reads empty.
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(entry)) found.push(Number(pid));
  }
  return found;
}
