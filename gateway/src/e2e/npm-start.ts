import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@learnhub/platform/testing';
import { waitUntil } from '@learnhub/platform/testing';

const root = join(__dirname, '..', '..', '..');
const startScript = join(root, 'scripts', 'start.mjs');

/** Every port `npm start` needs, each free right now. */
export async function freeStartPorts(): Promise<
  Record<'GATEWAY_PORT' | 'CONTENT_PORT' | 'MEDIA_PORT' | 'SEARCH_PORT' | 'JOBS_PORT', string>
> {
  return {
    GATEWAY_PORT: String(await freePort()),
    CONTENT_PORT: String(await freePort()),
    MEDIA_PORT: String(await freePort()),
    SEARCH_PORT: String(await freePort()),
    JOBS_PORT: String(await freePort()),
  };
}

export const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm start -- --no-build` run as a terminal runs it (its own process group, so the group can be
 * sent a Ctrl-C), or start.mjs directly with `direct`; the services' output is kept.
 */
export class NpmStart {
  private text = '';

  private constructor(
    readonly child: ChildProcess,
    /** The environment npm start was given. */
    readonly env: NodeJS.ProcessEnv,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
  }

  static run(dataDir: string, env: NodeJS.ProcessEnv, how: 'npm' | 'direct' = 'npm'): NpmStart {
    const [command, args] =
      how === 'npm' ? ['npm', ['start', '--', '--no-build']] : [process.execPath, [startScript, '--no-build']];
    const environment = {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      GATEWAY_HOST: '127.0.0.1',
      SHUTDOWN_GRACE_MS: '5000',
      ...env,
    };
    const child = spawn(command as string, args as string[], {
      cwd: root,
      detached: true,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NpmStart(child, environment);
  }

  readonly output = (): string => this.text;

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once npm start says every service answers. */
  async ready(): Promise<void> {
    await waitUntil('the ready line', () => this.text.includes('Learnhub is running'), 60_000, this.output);
  }

  /** The pids start.mjs reported for its services, the latest of each. */
  servicePids(): Map<string, number> {
    return new Map([...this.text.matchAll(/npm start: started (\w+) \(pid (\d+)\)/g)].map((m) => [m[1], Number(m[2])]));
  }

  /** Every pid start.mjs reported, restarts included. */
  allPids(): number[] {
    return [...this.text.matchAll(/npm start: started \w+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  }

  /**
   * Waits (up to `timeoutMs`) for npm start to exit, then for every service it ever started to be
   * gone; resolves with its exit code and signal.
   */
  async stopped(started = 5, timeoutMs = 60_000): Promise<[number | null, NodeJS.Signals | null]> {
    const child = this.child;
    await waitUntil(
      'npm start to exit',
      () => child.exitCode !== null || child.signalCode !== null,
      timeoutMs,
      this.output,
    );
    const exit: [number | null, NodeJS.Signals | null] = [child.exitCode, child.signalCode as NodeJS.Signals | null];
    assert.ok(this.allPids().length >= started, `start.mjs reports the pid of each service it starts:\n${this.text}`);
    // Every service start.mjs ever started is gone: none is left serving with nobody to stop it.
    await waitUntil(
      'every service process to be gone',
      () => this.allPids().every((pid) => !running(pid)),
      10_000,
      this.output,
    );
    return exit;
  }

  /** For `after`: a run still going gets a terminal's Ctrl-C and is waited for; whatever is left then is killed. */
  async interrupt(): Promise<void> {
    if (this.child.exitCode !== null) return;
    process.kill(-this.pid, 'SIGINT');
    await this.stopped(5, 60_000).finally(() => this.cleanup());
  }

  /** Kills whatever is left of this run (for `finally`). */
  cleanup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    for (const pid of this.allPids()) if (running(pid)) process.kill(pid, 'SIGKILL');
  }
}
