import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const children = new Set<ChildProcess>();
let cleanupRegistered = false;

/**
 * A benchmark worker process that prints `{"ready":…}` once set up and then obeys lines on its
 * stdin (`go`, `stop`). Killed with the benchmark however it ends.
 */
export class BenchWorker {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
  }

  static async start(script: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<BenchWorker> {
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once('exit', () =>
        children.forEach((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')),
      );
    }
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const worker = new BenchWorker(child);
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<void>((resolve) => lines.on('line', (line) => line.includes('"ready"') && resolve()));
    let timer: NodeJS.Timeout | undefined;
    const failed = Promise.race([
      worker.exited.then((code) =>
        Promise.reject(new Error(`${script} exited with ${code} before it was ready:\n${worker.log()}`)),
      ),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`${script} was not ready within ${timeoutMs} ms:\n${worker.log()}`)),
            timeoutMs,
          )),
      ),
    ]);
    try {
      await Promise.race([ready, failed]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
    failed.catch(() => {});
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  log(): string {
    return this.output;
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Asks it to stop and waits for its exit; kills it after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send('stop');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      const code = await this.exited;
      if (code !== 0) throw new Error(`a benchmark worker exited with ${code}:\n${this.log()}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
