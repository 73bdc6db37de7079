import { ServiceProcess } from './service-process';

/**
 * The service processes one suite starts. Each joins as it is spawned, not once healthy, so
 * `close()` in the suite's `after` hook stops every one, even one still starting; after that,
 * `start` refuses, so a test body that runs on past its timeout (node:test runs the hooks and
 * lets the body go on) cannot start a process nobody will stop.
 */
export class ServiceProcessGroup {
  private readonly members: ServiceProcess[] = [];
  private closed = false;

  /** `ServiceProcess.start` as a member of the group. */
  start(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    healthUrl: string,
    timeoutMs?: number,
  ): Promise<ServiceProcess> {
    if (this.closed) {
      return Promise.reject(
        new Error(
          `${name} was not started: the processes of this suite were stopped already (its test ran on past its timeout or its cleanup).`,
        ),
      );
    }
    const service = ServiceProcess.spawn(name, script, env);
    this.members.push(service);
    return service.healthy(healthUrl, timeoutMs);
  }

  /** Stops every member still running (`signal`, then SIGKILL after `timeoutMs`) and refuses further starts. */
  async close(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.members.map((service) => service.stop(signal, timeoutMs)));
  }
}
