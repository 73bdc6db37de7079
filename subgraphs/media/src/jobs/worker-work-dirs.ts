import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Who made a work folder: enough to tell, from another process, whether it still runs. */
interface FolderOwner {
  workerId: string;
  /** Processes with the same machine id see each other's pids: one kernel boot and pid namespace (Linux), else one host name. */
  machine: string;
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the owner. */
  startTicks?: string;
}

const OWNER_FILE = '.owner.json';

/** This process's kernel boot and pid namespace, or its host name where /proc does not say. */
function machineId(): string {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return `host:${hostname()}`;
  }
}

function startTicksOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (in parentheses, possibly with spaces): state is the 3rd field, start time the 22nd.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isRunning(owner: FolderOwner): boolean {
  // 0 and negative numbers would name process groups.
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: a process of another user holds the pid, which may be the owner.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return owner.startTicks === undefined || startTicksOf(owner.pid) === owner.startTicks;
}

/**
 * Each jobs worker's folder for partial output under one root (`DATA_DIR/tmp/transcode`), named by
 * its worker id, and the removal of the folders of workers that are gone: a worker killed with -9
 * leaves its partial output behind, and workers sharing `DATA_DIR` must never touch a live one's.
 * A folder's owner is gone when it ran on this machine and its process no longer does; for a folder
 * from another machine (a shared volume), when its owner has not touched it for `staleMs`.
 */
export class WorkerWorkDirs {
  private readonly machine = machineId();

  constructor(
    readonly root: string,
    private readonly workerId: string,
    /** Longer than a worker's lease: an owner silent that long cannot commit anything it wrote. */
    private readonly staleMs: number,
  ) {}

  /** This worker's folder. */
  get own(): string {
    return join(this.root, this.workerId);
  }

  /** Creates this worker's folder, marked as its own (after `sweep`, which clears what a previous run under this id left). */
  async claim(): Promise<string> {
    await mkdir(this.own, { recursive: true });
    const owner: FolderOwner = {
      workerId: this.workerId,
      machine: this.machine,
      pid: process.pid,
      startTicks: startTicksOf(process.pid),
    };
    await writeFile(join(this.own, OWNER_FILE), `${JSON.stringify(owner)}\n`);
    return this.own;
  }

  /** Removes this worker's folder, at a clean stop (after its tasks ended). */
  async release(): Promise<void> {
    await rm(this.own, { recursive: true, force: true });
  }

  /** Removes every folder whose owner is gone, and marks this worker's own as alive; returns the names removed. */
  async sweep(): Promise<string[]> {
    const now = new Date();
    await utimes(join(this.own, OWNER_FILE), now, now).catch(() => undefined);
    const removed: string[] = [];
    for (const name of await readdir(this.root).catch(() => [])) {
      const folder = join(this.root, name);
      if (!(await this.isGone(folder))) continue;
      await rm(folder, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  private async ownerOf(folder: string): Promise<{ owner?: FolderOwner; touchedMs: number } | undefined> {
    try {
      const file = join(folder, OWNER_FILE);
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      return { owner: JSON.parse(text) as FolderOwner, touchedMs: info.mtimeMs };
    } catch {
      // No owner file (a worker from before owner files, or one that died making its folder): the folder's own time decides.
      const info = await stat(folder).catch(() => undefined);
      return info?.isDirectory() ? { touchedMs: info.mtimeMs } : undefined;
    }
  }

  private async isGone(folder: string): Promise<boolean> {
    const found = await this.ownerOf(folder);
    if (!found) return false;
    const { owner, touchedMs } = found;
    if (owner?.machine === this.machine) return !isRunning(owner);
    return Date.now() - touchedMs > this.staleMs;
  }
}
