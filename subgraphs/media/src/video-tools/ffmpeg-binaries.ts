import { spawnSync } from 'node:child_process';
import bundledFfmpeg from '@ffmpeg-installer/ffmpeg';
import bundledFfprobe from '@ffprobe-installer/ffprobe';

/** The ffmpeg to run: the configured one, else a system `ffmpeg` on the PATH, else the one bundled from npm. */
export function findFfmpeg(configured?: string): string {
  return configured || (runsFromPath('ffmpeg') ? 'ffmpeg' : bundledFfmpeg.path);
}

/** The ffprobe to run: the configured one, else a system `ffprobe` on the PATH, else the one bundled from npm. */
export function findFfprobe(configured?: string): string {
  return configured || (runsFromPath('ffprobe') ? 'ffprobe' : bundledFfprobe.path);
}

/** Only a build that starts and exits cleanly counts, so a broken one on the PATH falls through to the bundled binary. */
function runsFromPath(command: string): boolean {
  const system = spawnSync(command, ['-version'], { stdio: 'ignore', timeout: 5_000 });
  return system.error === undefined && system.status === 0;
}
