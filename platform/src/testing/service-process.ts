import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { listensOn } from './listening-sockets';

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A real service started as a child process (`node <script>`), with its output kept for failure
 * messages. Its stdin is a pipe from this process and it runs supervised (LEARNHUB_SUPERVISED),
 * so it stops by itself when this process is gone, even killed with SIGKILL: nothing a test
 * starts outlives the test's process.
 */
export class ServiceProcess {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    // Nothing is written to it; a service gone first must not fail this process.
    child.stdin?.on('error', () => undefined);
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  /** Starts the script without waiting for it (see `healthy`). */
  static spawn(name: string, script: string, env: NodeJS.ProcessEnv): ServiceProcess {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, LEARNHUB_SUPERVISED: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child);
  }

  /** Starts the script and waits until `healthUrl` answers 200 (or the process dies, with its output). */
  static start(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    healthUrl: string,
    timeoutMs = 60_000,
  ): Promise<ServiceProcess> {
    return ServiceProcess.spawn(name, script, env).healthy(healthUrl, timeoutMs);
  }

  /**
   * Resolves once `healthUrl` answers 200 from this process's own socket; fails when the process
   * ends first, or kills it and fails after `timeoutMs`.
   */
  async healthy(healthUrl: string, timeoutMs = 60_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    const url = new URL(healthUrl);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    let answeredByAnother = false;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(
          `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) at start:\n${this.log()}`,
        );
      const healthy = await fetch(healthUrl, {
        signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline - Date.now()))),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy && (await listensOn(this.pid, port))) return this;
      answeredByAnother ||= healthy;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.child.kill('SIGKILL');
    const why = answeredByAnother
      ? `port ${port} was answered by another process, not ${this.name}`
      : `${healthUrl} never answered`;
    throw new Error(`${this.name} did not become healthy within ${timeoutMs} ms (${why}):\n${this.log()}`);
  }

  log(): string {
    return this.output;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and resolves with the exit code; kills it outright after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
