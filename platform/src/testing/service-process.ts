import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A real service started as a child process (`node <script>`), with its output kept for failure messages. */
export class ServiceProcess {
  private output = '';
  private exited?: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  /** Starts the script and waits until `healthUrl` answers 200 (or the process dies, with its output). */
  static async start(name: string, script: string, env: NodeJS.ProcessEnv, healthUrl: string, timeoutMs = 60_000): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const service = new ServiceProcess(name, child);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} at start:\n${service.log()}`);
      const healthy = await fetch(healthUrl, { signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline - Date.now()))) }).then((r) => r.ok, () => false);
      if (healthy) return service;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`${name} did not become healthy within ${timeoutMs} ms:\n${service.log()}`);
  }

  log(): string {
    return this.output;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends `signal` and resolves with the exit code; kills it outright after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited!;
    } finally {
      clearTimeout(timer);
    }
  }
}
