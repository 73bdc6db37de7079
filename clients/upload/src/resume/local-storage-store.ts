import type { ResumeRecord, ResumeStore } from './resume-store.js';

/** Keeps records in the page's localStorage, under `prefix` + key, so a reloaded page resumes its uploads. */
export class LocalStorageResumeStore implements ResumeStore {
  constructor(
    private readonly storage: Storage = globalThis.localStorage,
    private readonly prefix = 'learnhub-upload:',
  ) {}

  async get(key: string): Promise<ResumeRecord | undefined> {
    const text = this.storage.getItem(this.prefix + key);
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as ResumeRecord;
    } catch {
      return undefined;
    }
  }

  async set(key: string, record: ResumeRecord): Promise<void> {
    try {
      this.storage.setItem(this.prefix + key, JSON.stringify(record));
    } catch {
      // A full or disabled storage costs only the skipped hash on resume: the upload itself goes on.
    }
  }

  async delete(key: string): Promise<void> {
    this.storage.removeItem(this.prefix + key);
  }
}

/** localStorage when the page has one it may use (not in Node, nor where the browser forbids it). */
export function pageResumeStore(): ResumeStore | undefined {
  try {
    const storage = globalThis.localStorage;
    return storage ? new LocalStorageResumeStore(storage) : undefined;
  } catch {
    return undefined;
  }
}
