import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ResumeRecord, ResumeStore } from '../resume/resume-store.js';

interface StoreFile {
  version: 1;
  uploads: Record<string, ResumeRecord>;
}

/** Where the CLI remembers unfinished uploads: LEARNHUB_UPLOAD_STATE, else under XDG_STATE_HOME (~/.local/state). */
export function defaultResumeFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LEARNHUB_UPLOAD_STATE) return env.LEARNHUB_UPLOAD_STATE;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'learnhub', 'uploads.json');
}

/**
 * Keeps resume records in one JSON file. Each change rewrites the file whole through a temporary
 * file and a rename, so a crash mid-write leaves the old file or the new one, never half of one.
 * Changes from one process are applied one at a time; a file that does not parse counts as empty.
 */
export class JsonFileResumeStore implements ResumeStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string = defaultResumeFile()) {}

  async get(key: string): Promise<ResumeRecord | undefined> {
    return (await this.read()).uploads[key];
  }

  set(key: string, record: ResumeRecord): Promise<void> {
    return this.change((uploads) => {
      uploads[key] = record;
    });
  }

  delete(key: string): Promise<void> {
    return this.change((uploads) => {
      delete uploads[key];
    });
  }

  /** Every remembered upload, by key. */
  async all(): Promise<Record<string, ResumeRecord>> {
    return (await this.read()).uploads;
  }

  private async read(): Promise<StoreFile> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as Partial<StoreFile>;
      if (parsed.version === 1 && typeof parsed.uploads === 'object' && parsed.uploads !== null)
        return { version: 1, uploads: parsed.uploads };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    return { version: 1, uploads: {} };
  }

  private change(edit: (uploads: Record<string, ResumeRecord>) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const file = await this.read();
      edit(file.uploads);
      await mkdir(dirname(this.path), { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, this.path);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
