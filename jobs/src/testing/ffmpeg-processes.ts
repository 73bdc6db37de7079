import { readdir, readFile } from 'node:fs/promises';

/** The command lines of live processes (zombies left out), by pid, from Linux /proc. */
async function liveCommandLines(): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      found.set(Number(entry), (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0'));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** ffmpeg processes working on files under the folder `dir` (any worker's, orphaned or not). */
export async function ffmpegsUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  // With the separator: worker-1's folder is not worker-10's.
  const under = `${dir.replace(/\/+$/, '')}/`;
  for (const [pid, args] of await liveCommandLines()) {
    if (/ffmpeg/.test(args[0] ?? '') && args.some((arg) => arg.includes(under))) pids.push(pid);
  }
  return pids;
}

/** The `/bin/sh` watchdogs (see FfmpegTranscoder) still waiting to kill the process groups of these ffmpeg pids. */
export async function watchdogsOf(ffmpegPids: number[]): Promise<number[]> {
  const watched = new Set(ffmpegPids.map(String));
  const pids: number[] = [];
  for (const [pid, args] of await liveCommandLines()) {
    if (args[0] === '/bin/sh' && args[1] === '-c' && /kill -s KILL/.test(args[2] ?? '') && watched.has(args[3] ?? '')) pids.push(pid);
  }
  return pids;
}
