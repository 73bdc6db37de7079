import { liveProcesses } from '@learnhub/platform/testing';

/** ffmpeg processes working on files under the folder `dir` (any worker's, orphaned or not). */
export async function ffmpegsUnder(dir: string): Promise<number[]> {
  // With the separator: worker-1's folder is not worker-10's.
  const under = `${dir.replace(/\/+$/, '')}/`;
  return (await liveProcesses())
    .filter(({ command }) => /ffmpeg/.test(command[0] ?? '') && command.some((arg) => arg.includes(under)))
    .map((p) => p.pid);
}

/** The `/bin/sh` watchdogs (see FfmpegTranscoder) still waiting to kill the process groups of these ffmpeg pids. */
export async function watchdogsOf(ffmpegPids: number[]): Promise<number[]> {
  const watched = new Set(ffmpegPids.map(String));
  return (await liveProcesses())
    .filter(
      ({ command: [shell, flag, script, pid] }) =>
        shell === '/bin/sh' && flag === '-c' && /kill -s KILL/.test(script ?? '') && watched.has(pid ?? ''),
    )
    .map((p) => p.pid);
}
